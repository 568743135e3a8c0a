"""The detector protocol every detector plug-in implements, and the helpers they share.

A detector turns a BGR image into :class:`~amane.core.detections.Detections` with COCO class ids
(0 person, 1 bicycle, 2 car, 3 motorcycle, 5 bus, 7 truck). ``regions`` are the boxes where the
motion gate saw movement: ``[]`` means nothing moved (a detector may return nothing at once),
``None`` means "no gate ran, look at the whole image".

>>> boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [0, 0, 10, 10]], dtype=float)
>>> nms(boxes, np.array([0.9, 0.8, 0.7]), np.array([0, 0, 2]), iou_threshold=0.5).tolist()
[0, 2]
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from amane.core.detections import Detections, box_iou

Box = tuple[float, float, float, float]
"""An ``xyxy`` box in pixels."""

Image = npt.NDArray[np.uint8]

PERSON, BICYCLE, CAR, MOTORCYCLE, BUS, TRUCK = 0, 1, 2, 3, 5, 7
VEHICLE_CLASSES = frozenset({CAR, MOTORCYCLE, BUS, TRUCK})


@runtime_checkable
class Detector(Protocol):
    """Finds people and vehicles in an image."""

    def detect(self, image: Image, regions: list[Box] | None = None) -> Detections:
        """Objects in ``image`` (BGR uint8); may restrict the work to ``regions`` (where motion was seen)."""
        ...


def nms(
    xyxy: npt.NDArray[np.float64],
    scores: npt.NDArray[np.float64],
    class_ids: npt.NDArray[np.int64] | None = None,
    iou_threshold: float = 0.45,
) -> npt.NDArray[np.int64]:
    """Indices kept by greedy non-maximum suppression, best first; class-wise when ``class_ids`` is given."""
    if not 0.0 <= iou_threshold <= 1.0:
        raise ValueError(f"iou_threshold must be in [0, 1], got {iou_threshold}")
    n = len(scores)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.argsort(-scores, kind="stable")
    iou = box_iou(xyxy, xyxy)
    if class_ids is not None:
        iou = np.where(class_ids[:, None] == class_ids[None, :], iou, 0.0)
    suppressed = np.zeros(n, dtype=bool)
    keep: list[int] = []
    for i in order:
        if suppressed[i]:
            continue
        keep.append(int(i))
        suppressed |= iou[i] > iou_threshold
    return np.array(keep, dtype=np.int64)


def apply_nms(detections: Detections, iou_threshold: float = 0.45, class_wise: bool = True) -> Detections:
    """``detections`` reduced by NMS (class-wise by default), best first.

    >>> d = Detections(np.array([[0, 0, 10, 10], [1, 1, 11, 11]], float), np.array([0.5, 0.9]))
    >>> apply_nms(d).confidence.tolist()
    [0.9]
    """
    keep = nms(
        detections.xyxy, detections.confidence, detections.class_id if class_wise else None, iou_threshold
    )
    return detections[keep]
