"""``Detections``: the one container that crosses every stage boundary of perception.

Boxes, confidences, class ids, tracker ids and extra per-object data as parallel numpy
arrays, validated when built and filterable with a boolean mask.

>>> d = Detections(xyxy=np.array([[0, 0, 10, 10], [5, 5, 20, 30]], dtype=float),
...                confidence=np.array([0.9, 0.3]), class_id=np.array([0, 2]))
>>> len(d[d.confidence > 0.5])
1
>>> d[d.class_id == 2].xyxy.tolist()
[[5.0, 5.0, 20.0, 30.0]]
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def _as_float(name: str, value: Any, shape_tail: tuple[int, ...], n: int | None) -> FloatArray:
    arr = np.asarray(value, dtype=np.float64)
    bad_rows = n is not None and arr.shape[:1] != (n,)
    if arr.ndim != 1 + len(shape_tail) or arr.shape[1:] != shape_tail or bad_rows:
        want = ("N" if n is None else str(n), *(str(s) for s in shape_tail))
        raise ValueError(f"{name} must have shape ({', '.join(want)},), got {arr.shape}")
    return arr


def _as_int(name: str, value: Any, n: int) -> IntArray:
    arr = np.asarray(value)
    if arr.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},), got {arr.shape}")
    return arr.astype(np.int64)


@dataclass(frozen=True)
class Detections:
    """Objects found in one frame.

    ``xyxy`` is (N, 4) pixels (x1, y1, x2, y2); ``confidence`` (N,) in [0, 1]; ``class_id`` (N,)
    (COCO ids for the bundled detectors: 0 person, 2 car, 3 motorcycle, 5 bus, 7 truck);
    ``tracker_id`` (N,) is -1 until a tracker assigns ids; ``data`` holds extra (N, ...) arrays.
    """

    xyxy: FloatArray
    confidence: FloatArray = field(default_factory=lambda: np.zeros(0))
    class_id: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    tracker_id: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    data: Mapping[str, np.ndarray[Any, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        xyxy = _as_float("xyxy", self.xyxy, (4,), None)
        n = xyxy.shape[0]
        conf = self.confidence if len(self.confidence) else np.ones(n)
        cls = self.class_id if len(self.class_id) else np.zeros(n, dtype=np.int64)
        tid = self.tracker_id if len(self.tracker_id) else np.full(n, -1, dtype=np.int64)
        object.__setattr__(self, "xyxy", xyxy)
        object.__setattr__(self, "confidence", _as_float("confidence", conf, (), n))
        object.__setattr__(self, "class_id", _as_int("class_id", cls, n))
        object.__setattr__(self, "tracker_id", _as_int("tracker_id", tid, n))
        for key, arr in self.data.items():
            if len(arr) != n:
                raise ValueError(f"data[{key!r}] must have length {n}, got {len(arr)}")

    @classmethod
    def empty(cls) -> Detections:
        """No detections."""
        return cls(xyxy=np.zeros((0, 4)))

    def __len__(self) -> int:
        return int(self.xyxy.shape[0])

    def __iter__(self) -> Iterator[Detections]:
        for i in range(len(self)):
            yield self[i : i + 1]

    def __getitem__(self, index: int | slice | npt.NDArray[Any] | list[int]) -> Detections:
        """Select by boolean mask, index array, slice or single index (kept as a length-1 set)."""
        if isinstance(index, int | np.integer):
            index = [int(index)]
        return Detections(
            xyxy=self.xyxy[index],
            confidence=self.confidence[index],
            class_id=self.class_id[index],
            tracker_id=self.tracker_id[index],
            data={k: v[index] for k, v in self.data.items()},
        )

    @property
    def area(self) -> FloatArray:
        """Box areas in square pixels."""
        size: FloatArray = (self.xyxy[:, 2:] - self.xyxy[:, :2]).clip(0)
        return size[:, 0] * size[:, 1]

    @property
    def center(self) -> FloatArray:
        """Box centres, (N, 2)."""
        return (self.xyxy[:, :2] + self.xyxy[:, 2:]) / 2

    def with_tracker_ids(self, ids: npt.ArrayLike) -> Detections:
        """A copy with tracker ids set."""
        return Detections(self.xyxy, self.confidence, self.class_id, np.asarray(ids), dict(self.data))

    @staticmethod
    def merge(parts: list[Detections]) -> Detections:
        """Concatenate several sets (data keys must agree)."""
        if not parts:
            return Detections.empty()
        keys = set(parts[0].data)
        return Detections(
            xyxy=np.concatenate([p.xyxy for p in parts]),
            confidence=np.concatenate([p.confidence for p in parts]),
            class_id=np.concatenate([p.class_id for p in parts]),
            tracker_id=np.concatenate([p.tracker_id for p in parts]),
            data={k: np.concatenate([p.data[k] for p in parts]) for k in keys},
        )


def box_iou(a: FloatArray, b: FloatArray) -> FloatArray:
    """Pairwise IoU of (N, 4) and (M, 4) xyxy boxes, shape (N, M).

    >>> box_iou(np.array([[0., 0, 10, 10]]), np.array([[5., 0, 15, 10], [20., 20, 30, 30]])).round(3).tolist()
    [[0.333, 0.0]]
    """
    tl = np.maximum(a[:, None, :2], b[None, :, :2])
    br = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod((br - tl).clip(0), axis=2)
    area_a = np.prod((a[:, 2:] - a[:, :2]).clip(0), axis=1)
    area_b = np.prod((b[:, 2:] - b[:, :2]).clip(0), axis=1)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)
