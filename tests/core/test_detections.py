from __future__ import annotations

import numpy as np
import pytest

from amane.core.detections import Detections, box_iou


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"xyxy": np.zeros(3)}, r"xyxy must have shape \(N, 4,\), got \(3,\)"),
        ({"xyxy": np.zeros((2, 4)), "confidence": np.ones(3)}, r"confidence must have shape \(2,\)"),
        ({"xyxy": np.zeros((2, 4)), "class_id": np.ones(1)}, r"class_id must have shape \(2,\)"),
        ({"xyxy": np.zeros((1, 4)), "data": {"x": np.ones(2)}}, r"data\['x'\] must have length 1"),
    ],
)
def test_invalid_detections_say_what_is_wrong(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Detections(**kwargs)  # type: ignore[arg-type]


def test_defaults_mask_and_merge() -> None:
    d = Detections(xyxy=np.array([[0, 0, 2, 2], [1, 1, 5, 5]]), data={"label": np.array(["a", "b"])})
    assert d.confidence.tolist() == [1.0, 1.0]
    assert d.tracker_id.tolist() == [-1, -1]
    big = d[d.area > 5]
    assert big.data["label"].tolist() == ["b"]
    both = Detections.merge([d, d])
    assert len(both) == 4 and both.data["label"].tolist() == ["a", "b", "a", "b"]
    assert len(Detections.empty()) == 0
    assert d.with_tracker_ids([7, 8]).tracker_id.tolist() == [7, 8]
    assert d.center.tolist() == [[1.0, 1.0], [3.0, 3.0]]


def test_iou_is_symmetric_and_one_on_itself() -> None:
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 50, (6, 2))
    boxes = np.concatenate([xy, xy + rng.uniform(1, 20, (6, 2))], axis=1)
    iou = box_iou(boxes, boxes)
    assert np.allclose(iou, iou.T)
    assert np.allclose(np.diag(iou), 1.0)
