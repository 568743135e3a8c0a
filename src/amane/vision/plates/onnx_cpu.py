"""The plate models' ONNX sessions (CPU, a set number of threads) and the metadata shipped beside them.

>>> from pathlib import Path
>>> meta = model_metadata(Path(__file__).parent / "models" / "plate_crnn.onnx", "plate recogniser")
>>> meta["input_h"]
32
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import onnxruntime as ort


def cpu_session(path: Path, threads: int = 1) -> ort.InferenceSession:
    """An onnxruntime session on the CPU with ``threads`` intra-op threads and one inter-op thread."""
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def model_metadata(model_path: Path, what: str) -> dict[str, Any]:
    """The ``.json`` beside a model (classes, input size, how it was made); a clear error when absent."""
    meta_path = model_path.with_suffix(".json")
    try:
        meta: dict[str, Any] = json.loads(meta_path.read_text(encoding="utf-8"))
    except OSError as err:
        raise FileNotFoundError(f"{what} metadata not found: {meta_path}") from err
    return meta
