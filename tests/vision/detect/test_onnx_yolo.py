"""``onnx-yolo`` on tiny ONNX graphs built here with known outputs: layouts, letterbox, thresholds, NMS."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper

from amane.vision.detect import OnnxYoloConfig, OnnxYoloDetector, build_detector
from amane.vision.detect.onnx_yolo import Letterbox, choose_providers, decode

C = 80  # COCO classes


def constant_model(path: Path, output: npt.NDArray[np.float32], size: tuple[int, int] = (640, 640)) -> Path:
    """An ONNX model that takes a (1, 3, H, W) image and returns ``output`` whatever the image."""
    w, h = size
    node = helper.make_node("Constant", [], ["raw"], value=numpy_helper.from_array(output.astype(np.float32)))
    ident = helper.make_node("Identity", ["raw"], ["output0"])
    graph = helper.make_graph(
        [node, ident],
        "constant_yolo",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, h, w])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, list(output.shape))],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def v5_rows(rows: list[tuple[float, float, float, float, float, int, float]]) -> npt.NDArray[np.float32]:
    """(cx, cy, w, h, objectness, class, class score) -> a (1, N, 85) YOLOv5 output."""
    out = np.zeros((1, len(rows), 5 + C), np.float32)
    for i, (cx, cy, w, h, obj, cls, score) in enumerate(rows):
        out[0, i, :5] = [cx, cy, w, h, obj]
        out[0, i, 5 + cls] = score
    return out


def v8_cols(rows: list[tuple[float, float, float, float, int, float]]) -> npt.NDArray[np.float32]:
    """(cx, cy, w, h, class, score) -> a (1, 84, N) YOLOv8 output."""
    out = np.zeros((1, 4 + C, len(rows)), np.float32)
    for i, (cx, cy, w, h, cls, score) in enumerate(rows):
        out[0, :4, i] = [cx, cy, w, h]
        out[0, 4 + cls, i] = score
    return out


IMAGE_1280x720 = np.zeros((720, 1280, 3), np.uint8)  # letterboxed: scale 0.5, 140 px bars top and bottom


@pytest.mark.parametrize(
    ("name", "output", "expected"),
    [
        # one person: model box (270, 295)-(370, 345) -> image ((270-0)/0.5, (295-140)/0.5, ...)
        ("v5-one", v5_rows([(320, 320, 100, 50, 0.9, 0, 0.8)]), [(0, 0.72, (540, 310, 740, 410))]),
        ("v8-one", v8_cols([(320, 320, 100, 50, 0, 0.72)]), [(0, 0.72, (540, 310, 740, 410))]),
        # objectness x class score under the threshold: dropped
        ("v5-weak", v5_rows([(320, 320, 100, 50, 0.3, 0, 0.5)]), []),
        # a class outside people and vehicles (COCO 24, backpack) is dropped by the default class filter
        ("v8-backpack", v8_cols([(100, 300, 40, 40, 24, 0.9)]), []),
        # two overlapping cars: NMS keeps the stronger; a truck at the same place is another class: kept
        (
            "v8-nms",
            v8_cols(
                [(320, 320, 200, 100, 2, 0.9), (322, 321, 200, 100, 2, 0.6), (320, 320, 200, 100, 7, 0.5)]
            ),
            [(2, 0.9, (440, 260, 840, 460)), (7, 0.5, (440, 260, 840, 460))],
        ),
        # a box hanging over the letterbox bar is clipped to the image
        ("v5-clip", v5_rows([(20, 150, 60, 40, 1.0, 0, 0.9)]), [(0, 0.9, (0, 0, 100, 60))]),
    ],
)
def test_decoding_and_letterbox_unmapping(
    tmp_path: Path,
    name: str,
    output: npt.NDArray[np.float32],
    expected: list[tuple[int, float, tuple[float, ...]]],
) -> None:
    detector = build_detector(
        OnnxYoloConfig(type="onnx-yolo", path=constant_model(tmp_path / f"{name}.onnx", output))
    )
    found = detector.detect(IMAGE_1280x720)
    assert len(found) == len(expected)
    for i, (cls, score, box) in enumerate(expected):
        assert found.class_id[i] == cls
        assert found.confidence[i] == pytest.approx(score, abs=1e-5)
        assert found.xyxy[i].tolist() == pytest.approx(box, abs=1e-3)


def test_end2end_layout_and_class_map_on_a_portrait_image(tmp_path: Path) -> None:
    # a 480x640 (w x h) portrait image in a 320x320 model: scale 0.5, 40 px bars left and right
    out = np.array(
        [[[60, 20, 100, 120, 0.8, 1], [0, 0, 10, 10, 0.05, 1], [150, 100, 200, 150, 0.7, 3]]], np.float32
    )
    path = constant_model(tmp_path / "e2e.onnx", out, size=(320, 320))
    detector = OnnxYoloDetector(
        OnnxYoloConfig(type="onnx-yolo", path=path, layout="end2end", num_classes=4, class_map={1: 0, 3: 2})
    )
    assert detector.input_size == (320, 320)
    found = detector.detect(np.zeros((640, 480, 3), np.uint8))
    assert found.class_id.tolist() == [0, 2]
    np.testing.assert_allclose(found.xyxy, [[40, 40, 120, 240], [220, 200, 320, 300]])


def test_no_motion_means_no_inference(tmp_path: Path) -> None:
    path = constant_model(tmp_path / "m.onnx", v8_cols([(320, 320, 100, 50, 0, 0.9)]))
    detector = OnnxYoloDetector(OnnxYoloConfig(type="onnx-yolo", path=path))
    assert len(detector.detect(IMAGE_1280x720, regions=[])) == 0
    assert len(detector.detect(IMAGE_1280x720, regions=[(0, 0, 10, 10)])) == 1
    assert len(detector.detect(IMAGE_1280x720, regions=None)) == 1


@pytest.mark.parametrize(
    ("shape", "num_classes", "layout"),
    [
        ((1, 25200, 85), 80, "v5"),
        ((1, 84, 8400), 80, "v8"),
        ((1, 8400, 84), 80, "v8"),
        ((1, 300, 6), 80, "end2end"),
        ((1, 100, 7), 80, None),
        ((2, 84, 10), 80, None),
    ],
)
def test_layout_detection_table(shape: tuple[int, ...], num_classes: int, layout: str | None) -> None:
    raw = np.zeros(shape, np.float32)
    if layout is None:
        with pytest.raises(ValueError, match=r"layout|batch"):
            decode(raw, "auto", num_classes)
    else:
        boxes, scores, classes = decode(raw, "auto", num_classes)
        n = shape[2] if layout == "v8" and shape[1] == 4 + num_classes else shape[1]
        assert boxes.shape == (n, 4) and scores.shape == (n,) and classes.shape == (n,)


@settings(max_examples=100, deadline=None)
@given(
    w=st.integers(32, 2000),
    h=st.integers(32, 2000),
    fx=st.floats(0, 0.8),
    fy=st.floats(0, 0.8),
    fw=st.floats(0.05, 0.2),
    fh=st.floats(0.05, 0.2),
)
def test_letterbox_round_trip(w: int, h: int, fx: float, fy: float, fw: float, fh: float) -> None:
    box = Letterbox.fit((h, w), (640, 640))
    image_box = np.array([[fx * w, fy * h, (fx + fw) * w, (fy + fh) * h]])
    model_box = image_box * box.scale + np.array([box.pad_x, box.pad_y, box.pad_x, box.pad_y])
    assert np.all(model_box >= -1e-9) and np.all(model_box <= 640 + 1e-9)
    assert box.unmap(model_box, (h, w)) == pytest.approx(image_box, abs=1e-6)
    padded = box.apply(np.zeros((h, w, 3), np.uint8), 114)
    assert padded.shape == (640, 640, 3)


def test_provider_choice_falls_back_to_cpu() -> None:
    assert choose_providers(["NoSuchExecutionProvider"]) == ["CPUExecutionProvider"]
    assert choose_providers()[-1] == "CPUExecutionProvider"


def test_missing_model_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="ONNX model not found"):
        OnnxYoloDetector(OnnxYoloConfig(type="onnx-yolo", path=tmp_path / "none.onnx"))


@pytest.mark.parametrize(
    ("rgb", "normalize", "first_channel"),
    [(True, True, 200 / 255), (False, True, 10 / 255), (True, False, 200.0), (False, False, 10.0)],
)
def test_input_blob_channel_order_and_scale(
    tmp_path: Path, rgb: bool, normalize: bool, first_channel: float
) -> None:
    path = constant_model(tmp_path / "m.onnx", v8_cols([(320, 320, 100, 50, 0, 0.9)]))
    detector = OnnxYoloDetector(OnnxYoloConfig(type="onnx-yolo", path=path, rgb=rgb, normalize=normalize))
    image = np.zeros((640, 640, 3), np.uint8)
    image[:] = (10, 100, 200)  # BGR
    blob = detector._preprocess(image)
    assert blob.shape == (1, 3, 640, 640) and blob.dtype == np.float32
    assert float(blob[0, 0, 5, 5]) == pytest.approx(first_channel)
    assert float(blob[0, 1, 5, 5]) == pytest.approx(100 / 255 if normalize else 100.0)
