"""``onnx-arcface``: pre-processing, flip averaging and normalisation, checked with a tiny ONNX graph."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from amane.vision.faces.align import ARCFACE_TEMPLATE
from amane.vision.faces.embed_arcface import OnnxArcFaceConfig, OnnxArcFaceEmbedder, l2_normalise, preprocess
from amane.vision.faces.types import FaceBox

W = np.array([[1.0, 0.5, 0.0, -1.0], [0.0, 2.0, 1.0, 0.0], [3.0, 0.0, -1.0, 1.0]], np.float32)
B = np.array([0.1, -0.2, 0.3, 0.0], np.float32)


def _graph(path: Path, layout: str = "nchw") -> Path:
    """(N,3,112,112) -> mean of the LEFT half per channel -> x @ W + B: not mirror-invariant."""
    shape: list[str | int | None] = ["n", 3, 112, 112] if layout == "nchw" else ["n", 112, 112, 3]
    nodes = []
    src = "data"
    if layout == "nhwc":
        nodes.append(helper.make_node("Transpose", ["data"], ["nchw"], perm=[0, 3, 1, 2]))
        src = "nchw"
    nodes += [
        helper.make_node("Slice", [src, "starts", "ends", "axes"], ["left"]),
        helper.make_node("GlobalAveragePool", ["left"], ["pooled"]),
        helper.make_node("Flatten", ["pooled"], ["flat"], axis=1),
        helper.make_node("MatMul", ["flat", "W"], ["mm"]),
        helper.make_node("Add", ["mm", "B"], ["embedding"]),
    ]
    inits = [numpy_helper.from_array(np.array([0], np.int64), "starts"),
             numpy_helper.from_array(np.array([56], np.int64), "ends"),
             numpy_helper.from_array(np.array([3], np.int64), "axes"),
             numpy_helper.from_array(W, "W"), numpy_helper.from_array(B, "B")]
    graph = helper.make_graph(nodes, "tiny-arcface",
                              [helper.make_tensor_value_info("data", TensorProto.FLOAT, shape)],
                              [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["n", 4])],
                              inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    out = path / f"tiny_{layout}.onnx"
    onnx.save(model, str(out))
    return out


def _expected(chip_rgb: np.ndarray) -> np.ndarray:
    x = (chip_rgb.astype(np.float32) - 127.5) / 127.5
    return np.asarray(x[:, :56].mean(axis=(0, 1)) @ W + B)


@pytest.mark.parametrize("layout", ["nchw", "nhwc"])
@pytest.mark.parametrize("flip", [False, True])
def test_embedding_matches_hand_computation(tmp_path: Path, layout: str, flip: bool) -> None:
    emb = OnnxArcFaceEmbedder(OnnxArcFaceConfig(type="onnx-arcface", path=_graph(tmp_path, layout),
                                                layout=layout, flip=flip))  # type: ignore[arg-type]
    rng = np.random.default_rng(3)
    chip = rng.integers(0, 256, (112, 112, 3), dtype=np.uint8)
    got = emb.embed_chips(chip[None])[0]
    a = _expected(chip)
    if flip:
        b = _expected(chip[:, ::-1])
        want = l2_normalise(l2_normalise(a[None]) + l2_normalise(b[None]))[0]
    else:
        want = l2_normalise(a[None])[0]
    assert np.linalg.norm(got) == pytest.approx(1.0, abs=1e-5)
    assert np.allclose(got, want, atol=1e-5)
    assert emb.dim == 4


def test_bgr_frame_aligned_with_detector_landmarks(tmp_path: Path) -> None:
    emb = OnnxArcFaceEmbedder(OnnxArcFaceConfig(type="onnx-arcface", path=_graph(tmp_path), flip=False))
    frame = np.zeros((400, 400, 3), np.uint8)
    frame[:, :] = (255, 0, 0)  # pure blue in BGR
    pts = (ARCFACE_TEMPLATE * 2.0 + 60).astype(np.float32)
    face = FaceBox((60.0, 60.0, 284.0, 284.0), 0.9, pts)
    vec, chip = emb.embed(frame, face, np.zeros((5, 2), np.float32))
    assert chip.shape == (112, 112, 3) and chip[56, 56].tolist() == [0, 0, 255]  # RGB
    want = l2_normalise((np.array([-1.0, -1.0, 1.0], np.float32) @ W + B)[None])[0]
    assert np.allclose(vec, want, atol=1e-4)


@pytest.mark.parametrize(("value", "expected"), [(0, -1.0), (255, 1.0), (127.5, 0.0)])
def test_preprocess_scale(value: float, expected: float) -> None:
    chips = np.full((1, 4, 4, 3), value).astype(np.uint8) if value != 127.5 else None
    if chips is None:
        assert preprocess(np.full((1, 4, 4, 3), 127, np.uint8)).max() == pytest.approx(-0.5 / 127.5)
        return
    assert preprocess(chips).shape == (1, 3, 4, 4)
    assert float(preprocess(chips).mean()) == pytest.approx(expected)


def test_missing_model_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="ArcFace model not found"):
        OnnxArcFaceEmbedder(OnnxArcFaceConfig(type="onnx-arcface", path=tmp_path / "none.onnx"))
