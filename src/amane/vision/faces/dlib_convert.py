"""Convert dlib's face-recognition ResNet (``dlib_face_recognition_resnet_model_v1.dat``) to ONNX.

dlib runs this network with its own CPU kernels (no BLAS in the ``dlib-bin`` wheel): about 100 ms
per face on one core. The same weights in onnxruntime take a fraction of that. The conversion
reads dlib's serialised network directly (no dlib needed), folds each ``affine_`` layer (dlib's
inference-time batch norm) into the convolution before it and writes a plain ONNX graph. It runs
in well under a second at start-up, so nothing is cached on disk; the test suite checks that the
converted network gives the same 128-d descriptors as dlib itself.

The serialised layers come in forward order. The network is dlib's ``anet_type`` from
``dnn_face_recognition_ex.cpp``: conv 7x7/2, max-pool 3x3/2, residual blocks (``ares``, and
``ares_down`` whose shortcut is a 2x2 average pool, zero-padded to the larger tensor as dlib's
``add_prev`` does), global average pool, 128-d fully connected layer without bias.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

logger = logging.getLogger(__name__)

F32 = npt.NDArray[np.float32]
_LAYER_TAGS = (
    b"input_rgb_image_sized",
    b"con_",
    b"affine_",
    b"relu_",
    b"max_pool_",
    b"avg_pool_",
    b"add_prev_",
    b"fc_",
)


class DlibModelError(ValueError):
    """The file is not a dlib face-recognition network this converter understands."""


@dataclass
class _Reader:
    """A cursor over dlib's serialisation format (packed integers, strings, raw float tensors)."""

    data: bytes
    pos: int = 0

    def int_(self) -> int:
        head = self.data[self.pos]
        size, negative = head & 0x0F, bool(head & 0x80)
        if size > 8:
            raise DlibModelError(f"bad packed integer at byte {self.pos}")
        value = int.from_bytes(self.data[self.pos + 1 : self.pos + 1 + size], "little")
        self.pos += 1 + size
        return -value if negative else value

    def float_(self) -> float:
        mantissa, exponent = self.int_(), self.int_()
        return float(mantissa) * 2.0**exponent

    def tensor(self) -> F32:
        version = self.int_()
        if version != 2:
            raise DlibModelError(f"unsupported tensor version {version} at byte {self.pos}")
        shape = [self.int_() for _ in range(4)]
        count = int(np.prod(shape))
        end = self.pos + 4 * count
        if end > len(self.data):
            raise DlibModelError("tensor runs past the end of the file")
        values = np.frombuffer(self.data[self.pos : end], dtype="<f4").astype(np.float32)
        self.pos = end
        return values.reshape(shape)


@dataclass
class Layer:
    """One layer of the network, as read from the file."""

    kind: str
    params: F32 | None = None
    ints: list[int] = field(default_factory=list)
    floats: list[float] = field(default_factory=list)


def _next_tag(data: bytes, start: int) -> tuple[int, bytes] | None:
    """The next layer tag (a length-prefixed string) at or after ``start``."""
    for window in (start + 4096, len(data)):  # the next tag is almost always a few bytes away
        best: tuple[int, bytes] | None = None
        for tag in _LAYER_TAGS:
            idx = data.find(tag, start, window)
            while idx >= 2 and not (data[idx - 2] == 0x01 and data[idx - 1] < 64):
                idx = data.find(tag, idx + 1, window)
            if idx >= 2 and (best is None or idx < best[0]):
                best = (idx, tag)
        if best is not None:
            return best
    return None


def read_layers(data: bytes) -> list[Layer]:
    """The network's layers in forward order, with their parameters."""
    layers: list[Layer] = []
    pos = 0
    while (found := _next_tag(data, pos)) is not None:
        idx, _ = found
        length = data[idx - 1]
        name = data[idx : idx + length].decode("ascii")
        reader = _Reader(data, idx + length)
        if name.startswith("input_rgb_image_sized"):
            layers.append(
                Layer(
                    "input", floats=[reader.float_() for _ in range(3)], ints=[reader.int_(), reader.int_()]
                )
            )
        elif name.startswith("con_"):
            params = reader.tensor()
            layers.append(Layer("con", params, [reader.int_() for _ in range(7)]))
        elif name.startswith("affine_"):
            layers.append(Layer("affine", reader.tensor()))
        elif name.startswith("fc_"):
            outputs, inputs = reader.int_(), reader.int_()
            layers.append(Layer("fc", reader.tensor(), [outputs, inputs]))
        elif name.startswith(("max_pool_", "avg_pool_")):
            layers.append(Layer(name[:-2], None, [reader.int_() for _ in range(6)]))
        else:
            layers.append(Layer(name.rstrip("0123456789").rstrip("_") or name))
        pos = reader.pos
    if not layers or layers[0].kind != "input":
        raise DlibModelError("no input_rgb_image_sized layer: not a dlib face-recognition network")
    return layers


def _conv_out(size: int, kernel: int, stride: int, pad: int) -> int:
    return (size + 2 * pad - kernel) // stride + 1


class _GraphBuilder:
    """Collects ONNX nodes and initialisers while walking the dlib layers."""

    def __init__(self) -> None:
        from onnx import helper, numpy_helper

        self.helper, self.numpy_helper = helper, numpy_helper
        self.nodes: list[object] = []
        self.inits: list[object] = []
        self.count = 0

    def name(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}_{self.count}"

    def const(self, prefix: str, value: npt.NDArray[np.generic]) -> str:
        name = self.name(prefix)
        self.inits.append(self.numpy_helper.from_array(value, name))
        return name

    def node(self, op: str, inputs: list[str], **attrs: Any) -> str:
        out = self.name(op.lower())
        self.nodes.append(self.helper.make_node(op, inputs, [out], **attrs))
        return out


def _pad_to(g: _GraphBuilder, x: str, have: tuple[int, int, int], want: tuple[int, int, int]) -> str:
    """Zero-pad ``x`` (C, H, W) at the end of each axis to ``want``, like dlib's ``add_prev``."""
    if have == want:
        return x
    pads = np.array([0, 0, 0, 0, 0, want[0] - have[0], want[1] - have[1], want[2] - have[2]], np.int64)
    return g.node("Pad", [x, g.const("pads", pads)], mode="constant")


def to_onnx(layers: list[Layer]) -> bytes:
    """Build the ONNX graph (input ``chip``: N x 150 x 150 x 3 uint8 RGB; output ``descriptor``)."""
    from onnx import TensorProto

    g = _GraphBuilder()
    h = g.helper
    size = layers[0].ints[0]
    mean = np.array(layers[0].floats, np.float32).reshape(1, 3, 1, 1)
    x = g.node("Cast", ["chip"], to=TensorProto.FLOAT)
    x = g.node("Transpose", [x], perm=[0, 3, 1, 2])
    x = g.node("Sub", [x, g.const("mean", mean)])
    x = g.node("Mul", [x, g.const("scale", np.array(1.0 / 256.0, np.float32))])
    shape = (3, size, size)
    block_in: tuple[str, tuple[int, int, int]] = (x, shape)
    pending_conv: tuple[F32, F32, list[int]] | None = None
    i = 1
    while i < len(layers):
        layer = layers[i]
        if layer.kind == "con":
            assert layer.params is not None
            nf, nr, nc, sy, sx, py, px = layer.ints
            flat = layer.params.reshape(-1)
            w = flat[: nf * shape[0] * nr * nc].reshape(nf, shape[0], nr, nc)
            b = flat[nf * shape[0] * nr * nc :]
            if b.size not in (0, nf):
                raise DlibModelError(f"conv layer {i}: {flat.size} parameters do not fit {nf} filters")
            pending_conv = (w, b if b.size else np.zeros(nf, np.float32), [nr, nc, sy, sx, py, px])
        elif layer.kind == "affine":
            assert layer.params is not None and pending_conv is not None
            w, b, (nr, nc, sy, sx, py, px) = pending_conv
            ab = layer.params.reshape(-1)
            gamma, beta = ab[: w.shape[0]], ab[w.shape[0] :]
            wf = (w * gamma[:, None, None, None]).astype(np.float32)
            bf = (b * gamma + beta).astype(np.float32)
            x = g.node(
                "Conv",
                [x, g.const("w", wf), g.const("b", bf)],
                kernel_shape=[nr, nc],
                strides=[sy, sx],
                pads=[py, px, py, px],
            )
            shape = (w.shape[0], _conv_out(shape[1], nr, sy, py), _conv_out(shape[2], nc, sx, px))
            pending_conv = None
        elif layer.kind == "relu":
            x = g.node("Relu", [x])
        elif layer.kind in ("max_pool", "avg_pool"):
            nr, nc, sy, sx, py, px = layer.ints
            if nr == 0 and nc == 0:  # avg_pool_everything
                x = g.node("GlobalAveragePool", [x])
                shape = (shape[0], 1, 1)
            elif layer.kind == "max_pool":
                x = g.node("MaxPool", [x], kernel_shape=[nr, nc], strides=[sy, sx], pads=[py, px, py, px])
                shape = (shape[0], _conv_out(shape[1], nr, sy, py), _conv_out(shape[2], nc, sx, px))
                block_in = (x, shape)
            else:  # the shortcut of a down-sampling block: pool the block's input
                src, src_shape = block_in
                pooled = g.node(
                    "AveragePool", [src], kernel_shape=[nr, nc], strides=[sy, sx], pads=[py, px, py, px]
                )
                pooled_shape = (
                    src_shape[0],
                    _conv_out(src_shape[1], nr, sy, py),
                    _conv_out(src_shape[2], nc, sx, px),
                )
                block_in = (pooled, pooled_shape)
        elif layer.kind == "add_prev":
            src, src_shape = block_in
            want = (max(shape[0], src_shape[0]), max(shape[1], src_shape[1]), max(shape[2], src_shape[2]))
            x = g.node("Add", [_pad_to(g, x, shape, want), _pad_to(g, src, src_shape, want)])
            shape = want
            if i + 1 < len(layers) and layers[i + 1].kind == "relu":
                x = g.node("Relu", [x])
                i += 1
            block_in = (x, shape)
        elif layer.kind == "fc":
            assert layer.params is not None
            n_out = layer.ints[0]
            fc = layer.params.reshape(-1)[: shape[0] * n_out].reshape(shape[0], n_out)
            x = g.node("Flatten", [x], axis=1)
            x = g.node("MatMul", [x, g.const("fc", fc.astype(np.float32))])
        i += 1
    g.nodes.append(h.make_node("Identity", [x], ["descriptor"]))
    graph = h.make_graph(
        g.nodes,
        "dlib_face_recognition_resnet_v1",  # type: ignore[arg-type]
        [h.make_tensor_value_info("chip", TensorProto.UINT8, ["n", size, size, 3])],
        [h.make_tensor_value_info("descriptor", TensorProto.FLOAT, ["n", 128])],
        g.inits,  # type: ignore[arg-type]
    )
    model = h.make_model(graph, opset_imports=[h.make_opsetid("", 13)], producer_name="amane")
    model.ir_version = 8
    return bytes(model.SerializeToString())


def convert(path: Path) -> bytes:
    """Read a dlib ``.dat`` face-recognition network and return the equivalent ONNX model bytes."""
    data = path.read_bytes()
    layers = read_layers(data)
    logger.debug("read %d dlib layers from %s", len(layers), path)
    return to_onnx(layers)


__all__ = ["DlibModelError", "Layer", "convert", "read_layers", "to_onnx"]
