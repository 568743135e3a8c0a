"""Plate reading speed on one core, and accuracy on held-out synthetic plates.

Times the shipped CRNN reader per plate crop and the localiser per frame (onnxruntime with one
thread, OpenCV with one thread), and reads held-out renders (a seed the training never used).
Real-data accuracy is ``amane eval plates`` (it needs ../shared/data).
Keys: ``ms_per_plate_median``, ``ms_per_plate_p95``, ``localize_ms_median_640x480``,
``localize_ms_median_1280x720``, ``synthetic_exact``, ``synthetic_n``, ``loadavg``.

    .venv/bin/python benchmarks/plates.py --json .bench/plates.json
    .venv/bin/python benchmarks/plates.py --quick --json .bench/plates.json
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import cv2
import numpy as np

from amane.vision.plates.localize import PlateLocalizer
from amane.vision.plates.ocr_crnn import CrnnPlateOCR
from amane.vision.plates.synth import PlateRenderer


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    cv2.setNumThreads(1)
    n = 100 if args.quick else 1000
    renderer = PlateRenderer(np.random.default_rng(987654321))
    samples = [renderer.sample() for _ in range(n)]
    ocr = CrnnPlateOCR()
    crops = [cv2.cvtColor(img, cv2.COLOR_GRAY2BGR) for img, _ in samples]
    ocr.read(crops[0])
    times, exact = [], 0
    for crop, (_, text) in zip(crops, samples, strict=True):
        t = time.perf_counter()
        read = ocr.read(crop)
        times.append((time.perf_counter() - t) * 1000)
        exact += read.text == text
    loc = PlateLocalizer()
    out: dict[str, float | int | str] = {
        "ms_per_plate_median": round(float(np.median(times)), 2),
        "ms_per_plate_p95": round(float(np.percentile(times, 95)), 2),
        "synthetic_exact": round(exact / n, 4),
        "synthetic_n": n,
    }
    rng = np.random.default_rng(3)
    for w, h in [(640, 480), (1280, 720)]:
        frame = cv2.GaussianBlur(rng.integers(0, 255, (h, w, 3), dtype=np.uint8), (7, 7), 3)
        loc.find(frame)
        lt = []
        for _ in range(5 if args.quick else 20):
            t = time.perf_counter()
            loc.find(frame)
            lt.append((time.perf_counter() - t) * 1000)
        out[f"localize_ms_median_{w}x{h}"] = round(float(np.median(lt)), 1)
    out["loadavg"] = " ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"{'what':<34}{'value':>10}")
    for k, v in out.items():
        print(f"{k:<34}{v!s:>10}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
