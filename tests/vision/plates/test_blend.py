"""Weight-space blending of two exported recognisers (amane.vision.plates.blend)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import numpy_helper

from amane.vision.plates.blend import blend
from amane.vision.plates.ocr_crnn import MODEL_DIR

SHIPPED = MODEL_DIR / "plate_crnn.onnx"


def _run(path: Path, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    out: np.ndarray = session.run(None, {"image": x})[0]
    return out


def _weights(path: Path) -> list[np.ndarray]:
    return [numpy_helper.to_array(i) for i in onnx.load(str(path)).graph.initializer]


@pytest.fixture()
def tuned(tmp_path: Path) -> Path:
    """The shipped model with every float weight scaled by 1.1 (a stand-in for a fine-tuned copy)."""
    model = onnx.load(str(SHIPPED))
    for init in model.graph.initializer:
        w = numpy_helper.to_array(init)
        if np.issubdtype(w.dtype, np.floating):
            init.CopyFrom(numpy_helper.from_array((w * 1.1).astype(w.dtype), init.name))
    path = tmp_path / "tuned.onnx"
    onnx.save(model, str(path))
    meta = json.loads(SHIPPED.with_suffix(".json").read_text())
    path.with_suffix(".json").write_text(json.dumps({**meta, "seed": 1}))
    return path


def test_each_weight_is_the_interpolation(tuned: Path, tmp_path: Path) -> None:
    out = tmp_path / "blend.onnx"
    blend(SHIPPED, tuned, 0.25, out)
    for mixed, base in zip(_weights(out), _weights(SHIPPED), strict=True):
        if np.issubdtype(base.dtype, np.floating):
            np.testing.assert_allclose(mixed, base * (0.75 + 0.25 * 1.1), rtol=1e-5, atol=1e-7)
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["blend"]["alpha"] == 0.25 and meta["blend"]["tuned"]["seed"] == 1
    assert meta["charset"] == json.loads(SHIPPED.with_suffix(".json").read_text())["charset"]


def test_the_ends_are_the_two_models(tuned: Path, tmp_path: Path) -> None:
    x = np.random.default_rng(0).uniform(-1, 1, (2, 1, 32, 128)).astype(np.float32)
    for alpha, same_as in ((0.0, SHIPPED), (1.0, tuned)):
        out = tmp_path / f"blend{alpha}.onnx"
        blend(SHIPPED, tuned, alpha, out)
        np.testing.assert_allclose(_run(out, x), _run(same_as, x), rtol=1e-4, atol=1e-4)


def test_refuses_other_architectures_and_bad_alpha(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="same architecture"):
        blend(SHIPPED, MODEL_DIR / "plate_letter.onnx", 0.5, tmp_path / "x.onnx")
    with pytest.raises(ValueError, match="alpha"):
        blend(SHIPPED, SHIPPED, 1.5, tmp_path / "x.onnx")
