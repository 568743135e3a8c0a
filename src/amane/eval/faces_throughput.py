"""Faces per second with several worker processes, each with its own pipeline (as a unit runs one per
camera stream): the photos are dealt round-robin, every worker loads its models and waits at a
barrier, and the clock runs from the barrier until the last worker is done. Decoding is done before
the barrier, as in the per-face timing of :mod:`amane.eval.faces`.
"""

from __future__ import annotations

import multiprocessing as mp
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np


def _work(config: dict[str, Any], paths: list[str], barrier: Any, results: Any) -> None:
    from amane.vision.faces.pipeline import FacePipeline, FacePipelineConfig

    cv2.setNumThreads(1)
    pipe = FacePipeline(FacePipelineConfig.model_validate(config))
    images = [np.asarray(img, np.uint8) for img in (cv2.imread(p, cv2.IMREAD_COLOR) for p in paths)
              if img is not None]
    if images:
        pipe.primary(images[0])  # warm-up: first-run allocations are not counted
    barrier.wait(timeout=300)  # a worker that cannot load breaks the barrier instead of hanging
    started = time.perf_counter()
    faces = sum(pipe.primary(img) is not None for img in images)
    results.put((len(images), faces, time.perf_counter() - started))


def throughput(config: dict[str, Any], paths: list[Path], workers: int) -> dict[str, float | int]:
    """Photos per second through the whole pipeline (detection to embedding) with ``workers``
    processes: ``faces_per_second`` counts photos processed (one main face each), wall clock."""
    if workers < 1:
        raise ValueError("workers must be at least 1")
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(workers + 1)
    results = ctx.Queue()
    shares = [[str(p) for p in paths[i::workers]] for i in range(workers)]
    procs = [ctx.Process(target=_work, args=(config, share, barrier, results)) for share in shares]
    for proc in procs:
        proc.start()
    barrier.wait(timeout=300)  # a worker that cannot load breaks the barrier instead of hanging
    started = time.perf_counter()
    done = [results.get(timeout=600) for _ in procs]
    wall = time.perf_counter() - started
    for proc in procs:
        proc.join()
    photos = sum(n for n, _, _ in done)
    return {
        "workers": workers,
        "photos": photos,
        "faces_found": sum(f for _, f, _ in done),
        "seconds": round(wall, 3),
        "faces_per_second": round(photos / wall, 2) if wall > 0 else 0.0,
    }
