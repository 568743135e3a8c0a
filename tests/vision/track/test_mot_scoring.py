"""CLEAR-MOT scoring of tracks against ground truth: the table of cases a tracker can get wrong."""

from __future__ import annotations

import numpy as np
import pytest

from amane.core.detections import Detections
from amane.vision.track.evaluate import clear_mot


def box(x: float) -> list[float]:
    return [x, 100.0, x + 40.0, 200.0]


def truth_of(n_frames: int, objects: dict[int, float]) -> dict[int, tuple[list[int], np.ndarray]]:
    return {f: (list(objects), np.array([box(x + 5 * f) for x in objects.values()])) for f in range(n_frames)}


@pytest.mark.parametrize(
    ("ids_per_frame", "extra_fp", "expected"),
    [
        ([[1, 2]] * 5, 0, (10, 0, 0, 0)),  # perfect
        ([[1, 2], [1, 2], [2, 1], [2, 1], [2, 1]], 0, (10, 0, 0, 2)),  # the two swap ids once: 2 switches
        ([[1, 2], [1, -9], [1, 2], [1, 2], [1, 2]], 0, (9, 1, 0, 0)),  # object b missed once, same id after
        ([[1, 2], [1, 3], [1, 3], [1, 3], [1, 3]], 0, (10, 0, 0, 1)),  # b re-acquired under a new id
        ([[1, 2]] * 5, 2, (10, 0, 2, 0)),  # two spurious boxes
    ],
)
def test_clear_mot_table(
    ids_per_frame: list[list[int]], extra_fp: int, expected: tuple[int, int, int, int]
) -> None:
    truth = truth_of(5, {10: 0.0, 20: 300.0})
    tracked: dict[int, Detections] = {}
    for f, ids in enumerate(ids_per_frame):
        boxes = [b for b, i in zip(truth[f][1], ids, strict=True) if i >= 0]
        tids = [i for i in ids if i >= 0]
        if f == 0:
            boxes += [[800.0 + 60 * k, 400, 840 + 60 * k, 500] for k in range(extra_fp)]
            tids += [50 + k for k in range(extra_fp)]
        tracked[f] = Detections(np.array(boxes, float).reshape(-1, 4), tracker_id=np.array(tids))
    score = clear_mot(truth, tracked)
    assert (score.matched, score.misses, score.false_positives, score.id_switches) == expected
    assert score.objects == 10
    assert score.mota == pytest.approx(1 - (score.misses + score.false_positives + score.id_switches) / 10)
