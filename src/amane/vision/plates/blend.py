"""Weight-space interpolation of two exported plate recognisers of one architecture (WiSE-FT).

A recogniser fine-tuned on renders of a new kind (hollow or pressed characters, say) learns them
but drifts from what made its starting point read real plates well. Interpolating the weights of
the two models, ``(1 - alpha) * base + alpha * tuned``, keeps much of both (Wortsman et al.,
"Robust fine-tuning of zero-shot models", 2022). The exported graphs have every batch norm folded
into its convolution, so each layer is a plain linear map and the interpolation is one per layer.

Training only: needs ``onnx`` (``make train-deps``)::

    python -m amane.vision.plates.blend BASE.onnx TUNED.onnx --alpha 0.5 --out DIR
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np


def _initializers(graph: Any) -> list[Any]:
    """The graph's weight tensors, in the order the nodes use them (names may differ between exports)."""
    by_name = {i.name: i for i in graph.initializer}
    seen: list[Any] = []
    for node in graph.node:
        for name in node.input:
            if name in by_name and by_name[name] not in seen:
                seen.append(by_name[name])
    return seen


def blend(base: Path, tuned: Path, alpha: float, out: Path) -> None:
    """Write ``out`` (an ONNX model and its ``.json``): the graph of ``base`` with each weight
    ``(1 - alpha) * base + alpha * tuned``; the metadata is ``base``'s, with the blend recorded."""
    import onnx
    from onnx import numpy_helper

    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must lie in [0, 1], not {alpha}")
    a, b = onnx.load(str(base)), onnx.load(str(tuned))
    mine, theirs = _initializers(a.graph), _initializers(b.graph)
    ops = [n.op_type for n in a.graph.node], [n.op_type for n in b.graph.node]
    if ops[0] != ops[1] or len(mine) != len(theirs):
        raise ValueError(f"{base} and {tuned} are not the same architecture")
    for x, y in zip(mine, theirs, strict=True):
        wx, wy = numpy_helper.to_array(x), numpy_helper.to_array(y)
        if wx.shape != wy.shape or wx.dtype != wy.dtype:
            raise ValueError(f"weight {x.name}: shapes {wx.shape} and {wy.shape} differ")
        if np.issubdtype(wx.dtype, np.floating):
            mixed = ((1.0 - alpha) * wx.astype(np.float64) + alpha * wy.astype(np.float64)).astype(wx.dtype)
            x.CopyFrom(numpy_helper.from_array(mixed, x.name))
    out.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(a, str(out))
    meta: dict[str, Any] = json.loads(base.with_suffix(".json").read_text())
    tuned_meta: dict[str, Any] = json.loads(tuned.with_suffix(".json").read_text())
    meta["blend"] = {"alpha": alpha, "base": base.name, "tuned": tuned_meta}
    out.with_suffix(".json").write_text(json.dumps(meta, ensure_ascii=False, indent=1))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("base", type=Path)
    p.add_argument("tuned", type=Path)
    p.add_argument("--alpha", type=float, default=0.5, help="share of the tuned model's weights")
    p.add_argument("--out", type=Path, required=True, help="ONNX file to write (its .json beside)")
    args = p.parse_args()
    blend(args.base, args.tuned, args.alpha, args.out)


if __name__ == "__main__":
    main()
