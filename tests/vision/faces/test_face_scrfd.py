"""``onnx-scrfd``: letterbox pre-processing and the decoding of scores, distances and landmarks,
checked with a tiny ONNX graph whose outputs hold one known face."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from amane.vision.faces import FacePipeline, FacePipelineConfig
from amane.vision.faces.detect_scrfd import ScrfdConfig, ScrfdDetector, anchor_centres, decode, prepare

SIZE = (640, 640)
STRIDES = (8, 16, 32)


def _outputs(with_kps: bool) -> list[np.ndarray]:
    """Score/box/landmark maps with one face at stride 16, cell (x=10, y=12), anchor 1."""
    scores, boxes, kps = [], [], []
    for s in STRIDES:
        n = (SIZE[0] // s) * (SIZE[1] // s) * 2
        scores.append(np.full((n, 1), 0.01, np.float32))
        boxes.append(np.ones((n, 4), np.float32))
        kps.append(np.zeros((n, 10), np.float32))
    idx = (12 * (SIZE[0] // 16) + 10) * 2 + 1
    scores[1][idx, 0] = 0.93
    boxes[1][idx] = [2.0, 3.0, 2.5, 3.5]  # in strides: 32, 48, 40, 56 px
    kps[1][idx] = np.array([-1, -1, 1, -1, 0, 0, -0.8, 1, 0.8, 1], np.float32)
    return scores + boxes + (kps if with_kps else [])


def _model(tmp_path: Path, with_kps: bool = True) -> Path:
    outs = _outputs(with_kps)
    names = [f"out{i}" for i in range(len(outs))]
    nodes = [helper.make_node("ReduceMean", ["input"], ["mean"], keepdims=0),
             helper.make_node("Mul", ["mean", "zero"], ["nothing"])]
    inits = [numpy_helper.from_array(np.array(0.0, np.float32), "zero")]
    for name, value in zip(names, outs, strict=True):
        inits.append(numpy_helper.from_array(value, name + "_c"))
        nodes.append(helper.make_node("Add", [name + "_c", "nothing"], [name]))
    graph = helper.make_graph(
        nodes, "tiny-scrfd", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 640, 640])],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, list(o.shape)) for n, o in zip(names, outs,
                                                                                              strict=True)],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    path = tmp_path / "tiny_scrfd.onnx"
    onnx.save(model, str(path))
    return path


@pytest.mark.parametrize(("shape", "scale"), [((480, 640), 1.0), ((960, 1280), 0.5), ((320, 160), 2.0)])
def test_detect_maps_back_to_image_pixels(tmp_path: Path, shape: tuple[int, int], scale: float) -> None:
    det = ScrfdDetector(ScrfdConfig(type="onnx-scrfd", path=_model(tmp_path)))
    faces = det.detect(np.zeros((*shape, 3), np.uint8))
    assert len(faces) == 1
    f = faces[0]
    cx, cy = 10 * 16, 12 * 16
    assert f.score == pytest.approx(0.93)
    assert np.allclose(f.box, np.array([cx - 32, cy - 48, cx + 40, cy + 56]) / scale, atol=1e-3)
    assert f.landmarks is not None
    assert np.allclose(f.landmarks[0], np.array([cx - 16, cy - 16]) / scale, atol=1e-3)
    assert np.allclose(f.landmarks[4], np.array([cx + 12.8, cy + 16]) / scale, atol=1e-3)


def test_without_landmarks_and_thresholds(tmp_path: Path) -> None:
    outs = _outputs(with_kps=False)
    scores, _, kps = decode(outs, SIZE, 2, 0.5)
    assert len(scores) == 1 and kps is None
    assert len(decode(outs, SIZE, 2, 0.95)[0]) == 0
    with pytest.raises(ValueError, match="anchors"):
        decode(outs, SIZE, 1, 0.5)


def test_prepare_letterbox() -> None:
    img = np.zeros((100, 200, 3), np.uint8)
    img[:, :, 2] = 255  # red in BGR
    blob, scale = prepare(img, SIZE)
    assert scale == 3.2 and blob.shape == (1, 3, 640, 640)
    assert blob[0, 0, 0, 0] == pytest.approx(127.5 / 128)  # R channel first
    assert blob[0, 2, 0, 0] == pytest.approx(-127.5 / 128)
    assert blob[0, 0, 400, 0] == pytest.approx(-127.5 / 128)  # padding below the image
    assert anchor_centres(80, 80, 8, 2).shape == (12800, 2)


def test_pipeline_accepts_scrfd_config(tmp_path: Path) -> None:
    detector = {"type": "onnx-scrfd", "path": str(_model(tmp_path))}
    cfg = FacePipelineConfig.model_validate({"detector": detector})
    assert FacePipeline(cfg).detector.name == "onnx-scrfd"
    with pytest.raises(FileNotFoundError):
        ScrfdDetector(ScrfdConfig(type="onnx-scrfd", path=tmp_path / "missing.onnx"))
