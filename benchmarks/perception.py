"""Perception figures: per-stage cost on 1280x720 frames, the 360° bearing check, and tracking on real video.

    python benchmarks/perception.py [--quick] [--json PATH] [--threads N]

Speed: a rendered 1280x720 street (textured ground, people and cars moving, a still stretch) goes
through the motion gate, the classical detector and the tracker; each stage's CPU time is measured per
frame, and the still stretch shows what a quiet scene costs. OpenCV runs single-threaded by default
(``--threads``) so the figures are per core: four streams share two cores in the unit.

Real data (``../shared/data/video``, skipped when absent): the tracker over the YOLOX detections that come
with ``pedestrian_10s.mp4``, and the default pipeline (gate + classical detector + tracker) on the raw
frames; tracks, long tracks, visible fragmentations (id switches), id reuse, speed, and for the classical
run the share of confident YOLOX people it covers with a tracked box.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from amane.core.detections import Detections, box_iou
from amane.core.geometry import CameraView
from amane.vision.detect import ClassicalDetector, ClassicalDetectorConfig
from amane.vision.motion import MotionConfig, MotionGate
from amane.vision.sources.equirect import panorama_maps, split_panorama
from amane.vision.sources.synthetic import bearing_check
from amane.vision.track import TrackerConfig, build_tracker
from amane.vision.track.evaluate import TrackLog, clear_mot, load_frame_detections, summarize

ROOT = Path(__file__).resolve().parents[1]
VIDEO_DIR = ROOT.parent / "shared" / "data" / "video"
T0 = datetime(2026, 1, 1, tzinfo=UTC)
Image = npt.NDArray[np.uint8]
Truth = dict[int, tuple[list[int], npt.NDArray[np.float64]]]


def render_street(n_frames: int, still_from: int, seed: int = 7) -> tuple[list[Image], Truth]:
    """1280x720 frames: textured ground, three walkers and two cars moving, then an empty still street.

    Also the ground truth: per frame, the ids and boxes of the movers at least half in view (a mover
    that wraps round the frame edge comes back as a new object).
    """
    rng = np.random.default_rng(seed)
    tiles = rng.integers(60, 140, (90, 160, 3), dtype=np.uint8)
    ground = np.ascontiguousarray(np.kron(tiles, np.ones((8, 8, 1), np.uint8)))
    ground = cv2.GaussianBlur(ground, (5, 5), 0)
    movers = [  # x, y, w, h, vx, vy, colour
        (100, 300, 36, 100, 6, 0, (40, 40, 200)),
        (900, 380, 44, 120, -5, 1, (200, 60, 40)),
        (600, 150, 28, 80, 3, 3, (30, 160, 30)),
        (0, 520, 240, 110, 14, 0, (180, 180, 40)),
        (1100, 60, 160, 70, -10, 0, (40, 180, 180)),
    ]
    frames: list[Image] = []
    truth: Truth = {}
    for f in range(n_frames):
        frame = ground.copy()
        ids: list[int] = []
        boxes: list[list[float]] = []
        for k, (x, y, w, h, vx, vy, colour) in enumerate(movers if f < still_from else []):  # then all leave
            px, py = int(x + vx * f) % 1280, int(y + vy * f)
            cv2.rectangle(frame, (px, py), (px + w, py + h), colour, -1)
            cv2.rectangle(frame, (px + 4, py + 4), (px + w // 2, py + h // 3), (230, 230, 230), -1)
            box = [max(px, 0), max(py, 0), min(px + w, 1280), min(py + h, 720)]
            if (box[2] - box[0]) * (box[3] - box[1]) >= 0.5 * w * h:
                ids.append(100 * k + int(x + vx * f) // 1280)
                boxes.append([float(v) for v in box])
        truth[f] = (ids, np.array(boxes, dtype=np.float64).reshape(-1, 4))
        noise = rng.integers(-2, 3, frame.shape, dtype=np.int16)
        frames.append(np.clip(frame.astype(np.int16) + noise, 0, 255).astype(np.uint8))
    return frames, truth


def timed(fn: Any, *args: Any) -> tuple[Any, float]:
    """Result and CPU milliseconds of this thread (OpenCV runs single-threaded here), which other
    processes on a shared machine do not inflate the way they inflate wall-clock time."""
    start = time.thread_time()
    out = fn(*args)
    return out, (time.thread_time() - start) * 1000.0


def speed(quick: bool) -> dict[str, Any]:
    """Per-stage CPU milliseconds per 1280x720 frame."""
    n = 90 if quick else 300
    still_from = n * 2 // 3
    frames, truth = render_street(n, still_from)
    gate = MotionGate()
    detector = ClassicalDetector(ClassicalDetectorConfig())
    tracker = build_tracker()
    gate_ms, det_ms, track_ms, still_ms = [], [], [], []
    outputs: dict[int, Detections] = {}
    for i, frame in enumerate(frames):
        regions, g = timed(gate.update, frame)
        found, d = (Detections.empty(), 0.0) if not regions else timed(detector.detect, frame, regions)
        tracked, t = timed(tracker.update, found, T0 + timedelta(seconds=i / 15))
        if 10 <= i < still_from:
            outputs[i] = tracked
        if i < 10:
            continue
        if i >= still_from + 10:
            still_ms.append(g + d + t)
        elif i < still_from:
            gate_ms.append(g)
            det_ms.append(d)
            track_ms.append(t)
    pano = render_street(1, 0)[0][0]
    pano = np.asarray(cv2.resize(pano, (3840, 1920)), np.uint8)
    views = [CameraView(90.0 * i, 0.0, 100.0, 640, 480) for i in range(4)]
    maps = panorama_maps(3840, 1920, views)
    split = [timed(split_panorama, pano, views, maps)[1] for _ in range(10 if quick else 40)]
    busy = float(np.mean(gate_ms) + np.mean(det_ms) + np.mean(track_ms))
    mot = clear_mot({f: truth[f] for f in outputs}, outputs, iou_threshold=0.5)
    return {
        "gate_cpu_ms": float(np.mean(gate_ms)),
        "classical_cpu_ms": float(np.mean(det_ms)),
        "classical_p95_cpu_ms": float(np.percentile(det_ms, 95)),
        "tracker_cpu_ms": float(np.mean(track_ms)),
        "busy_frame_cpu_ms": busy,
        "still_frame_cpu_ms": float(np.mean(still_ms)),
        "equirect_split_4x640x480_cpu_ms": float(np.mean(split)),
        "busy_frames_per_s_on_2_cores": 2000.0 / busy,
        "street_mota": mot.mota,
        "street_recall": mot.recall,
        "street_precision": mot.precision,
        "street_id_switches": mot.id_switches,
    }


def onnx_yolo_overhead(quick: bool) -> dict[str, float]:
    """onnx-yolo's own work around the model on a 1280x720 frame: letterbox, decode of a YOLOv8 output
    (84 x 8400, 40 candidate boxes above threshold), NMS. The model is a constant graph (no inference cost),
    so this is what the plug-in adds to whatever the network itself costs."""
    import tempfile

    import onnx
    from onnx import TensorProto, helper, numpy_helper

    from amane.vision.detect import OnnxYoloConfig, OnnxYoloDetector

    rng = np.random.default_rng(0)
    out = np.zeros((1, 84, 8400), np.float32)
    out[0, :2] = rng.uniform(0, 640, (2, 8400))
    out[0, 2:4] = rng.uniform(10, 120, (2, 8400))
    out[0, 4:] = rng.uniform(0, 0.05, (80, 8400))
    hits = rng.choice(8400, 40, replace=False)
    out[0, 4 + rng.choice([0, 2, 7], 40), hits] = rng.uniform(0.3, 0.95, 40)
    node = helper.make_node("Constant", [], ["output0"], value=numpy_helper.from_array(out))
    graph = helper.make_graph(
        [node],
        "g",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, 640, 640])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, [1, 84, 8400])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    frame = render_street(1, 1)[0][0]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "constant.onnx"
        onnx.save(model, str(path))
        detector = OnnxYoloDetector(OnnxYoloConfig(type="onnx-yolo", path=path, threads=1))
        times = [timed(detector.detect, frame)[1] for _ in range(20 if quick else 100)]
    return {"onnx_yolo_pre_post_cpu_ms": float(np.median(times))}


def real_yolox(video_dir: Path) -> dict[str, Any]:
    """ByteTrack over the YOLOX detections shipped with the video."""
    detections = load_frame_detections(video_dir / "pedestrian_10s_yolox_detections.json", {0, 1, 2, 3, 5, 7})
    tracker = build_tracker(TrackerConfig())
    log = TrackLog()
    start = time.perf_counter()
    for frame in range(max(detections) + 1):
        tracked = tracker.update(
            detections.get(frame, Detections.empty()), T0 + timedelta(seconds=frame / 24)
        )
        log.add(frame, tracked, tracker.pop_ended())
    elapsed = time.perf_counter() - start
    out = summarize(log, (854, 480), 24.0).as_dict()
    out["fps_cpu"] = log.frames / elapsed
    return out


def real_classical(video_dir: Path, quick: bool, method: str = "average") -> dict[str, Any]:
    """Gate + classical detector + tracker on the raw frames, with coverage of YOLOX's confident people."""
    reference = load_frame_detections(video_dir / "pedestrian_10s_yolox_detections.json", {0})
    capture = cv2.VideoCapture(str(video_dir / "pedestrian_10s.mp4"))
    gate = MotionGate(MotionConfig(method=method))
    detector = ClassicalDetector()
    tracker = build_tracker()
    log = TrackLog()
    covered = total = 0
    busy = 0.0
    frame_no = 0
    while True:
        ok, raw = capture.read()
        if not ok or (quick and frame_no >= 120):
            break
        image = np.asarray(raw, np.uint8)
        start = time.thread_time()
        regions = gate.update(image)
        found = detector.detect(image, regions) if regions else Detections.empty()
        tracked = tracker.update(found, T0 + timedelta(seconds=frame_no / 24))
        busy += time.thread_time() - start
        log.add(frame_no, tracked, tracker.pop_ended())
        ref = reference.get(frame_no, Detections.empty())
        ref = ref[ref.confidence > 0.5]
        if frame_no >= 24 and len(ref):  # after the background is learnt
            total += len(ref)
            if len(tracked):
                covered += int((box_iou(ref.xyxy, tracked.xyxy).max(axis=1) >= 0.3).sum())
        frame_no += 1
    capture.release()
    out = summarize(log, (854, 480), 24.0).as_dict()
    out["fps_cpu"] = frame_no / busy  # gate + detector + tracker, decoding not counted
    out["yolox_people_covered"] = covered / max(total, 1)
    return out


def print_table(results: dict[str, Any]) -> None:
    print(f"{'figure':44s} value")
    for section, values in results.items():
        if isinstance(values, dict):
            for key, value in values.items():
                shown = f"{value:.3f}" if isinstance(value, float) else str(value)
                print(f"{section + '.' + key:44s} {shown}")
        else:
            print(f"{section:44s} {values}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer frames (under 30 s)")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--threads", type=int, default=1, help="OpenCV threads (default 1: per-core figures)")
    parser.add_argument("--video-dir", type=Path, default=VIDEO_DIR)
    args = parser.parse_args(argv)
    cv2.setNumThreads(args.threads)
    results: dict[str, Any] = {"speed_1280x720": speed(args.quick) | onnx_yolo_overhead(args.quick)}
    results["bearing_error_max_deg"] = bearing_check(n_objects=12, n_views=4, seed=1)
    if (args.video_dir / "pedestrian_10s.mp4").is_file():
        results["real_yolox_bytetrack"] = real_yolox(args.video_dir)
        results["real_classical_bytetrack"] = real_classical(args.video_dir, args.quick)
    else:
        print(f"note: {args.video_dir} not found, real-data figures skipped", file=sys.stderr)
    print_table(results)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
