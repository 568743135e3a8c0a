"""dlib's ResNet converted to ONNX gives dlib's own descriptors; the model's training margin is read right."""

from __future__ import annotations

from pathlib import Path

import dlib
import numpy as np
import pytest
from tests.vision.faces.face_scenes import astronaut_bgr

from amane.vision.faces.dlib_convert import DlibModelError, convert, read_layers
from amane.vision.faces.embed_dlib import DlibResnetConfig, DlibResnetEmbedder, training_margin
from amane.vision.faces.models import RESNET, SHAPE_PREDICTOR_5, model_path


@pytest.fixture(scope="module")
def engines() -> tuple[DlibResnetEmbedder, DlibResnetEmbedder]:
    return (DlibResnetEmbedder(DlibResnetConfig(views="single")),
            DlibResnetEmbedder(DlibResnetConfig(views="single", backend="dlib")))


def _real_chip() -> np.ndarray:
    rgb = np.ascontiguousarray(astronaut_bgr()[:, :, ::-1])
    det = dlib.get_frontal_face_detector()(rgb)[0]
    shape = dlib.shape_predictor(str(model_path(SHAPE_PREDICTOR_5)))(rgb, det)
    return np.asarray(dlib.get_face_chip(rgb, shape, 150, 0.25))


@pytest.mark.parametrize("kind", ["real", "noise", "black", "white"])
def test_onnx_matches_dlib(engines: tuple[DlibResnetEmbedder, DlibResnetEmbedder], kind: str) -> None:
    rng = np.random.default_rng(1)
    chip = {"real": _real_chip(), "noise": rng.integers(0, 256, (150, 150, 3), dtype=np.uint8),
            "black": np.zeros((150, 150, 3), np.uint8), "white": np.full((150, 150, 3), 255, np.uint8)}[kind]
    fast, ref = engines
    a = fast.embed_chips(chip[None])[0]
    b = ref.embed_chips(chip[None])[0]
    assert a.shape == (128,)
    assert np.abs(a - b).max() < 1e-4, np.abs(a - b).max()


def test_architecture_and_margin() -> None:
    layers = read_layers(model_path(RESNET).read_bytes())
    kinds = [layer.kind for layer in layers]
    assert kinds[0] == "input" and kinds[-1] == "fc"
    assert kinds.count("con") == 29 and kinds.count("add_prev") == 14
    assert training_margin() == (0.6, 0.04)
    assert DlibResnetEmbedder().default_threshold == pytest.approx(0.56)


@pytest.mark.parametrize("content", [b"", b"\x00" * 100, b"not a dlib model at all" * 10])
def test_bad_model_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.dat"
    path.write_bytes(content)
    with pytest.raises(DlibModelError):
        convert(path)
