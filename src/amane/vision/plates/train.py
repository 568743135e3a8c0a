"""Train the plate recogniser (CRNN + CTC) on synthetic plates and export it to ONNX.

Training only: needs PyTorch (``make train-deps``), never imported at run time. Every sample is
rendered on the fly by :mod:`amane.vision.plates.synth`; nothing from ``../shared/data`` is used.

Reproduce the shipped model (``models/plate_crnn.onnx``; ``plate_crnn.json`` records every stage).
It was warm-started from the previous shipped model (commit d96f4f5, itself two stages from scratch,
seeds 20261123 and 20261124) and trained in six more stages on one niced CPU thread, the sixth
blended with the fifth::

    python -m amane.vision.plates.train --init previous/plate_crnn.onnx --seed 20261203 --lr 0.001 \
        --buffer 40000 --renders 400000 --threads 1 --max-minutes 75 --steps 100000 --stop-step 11500 \
        --out /tmp/s1
    python -m amane.vision.plates.train --init /tmp/s1/plate_crnn.pt --seed 20261204 --lr 0.001 \
        --buffer 40000 --renders 1000000 --threads 1 --max-minutes 85 --steps 200000 --stop-step 11000 \
        --out /tmp/s2
    python -m amane.vision.plates.train --init /tmp/s2/plate_crnn.pt --seed 20261205 --lr 0.0008 \
        --buffer 40000 --renders 1000000 --threads 1 --max-minutes 52 --steps 200000 \
        --out /tmp/s3
    python -m amane.vision.plates.train --init /tmp/s3/plate_crnn.onnx --seed 20261206 --lr 0.0006 \
        --buffer 40000 --renders 1000000 --threads 1 --max-minutes 80 --steps 200000 \
        --out /tmp/s4
    python -m amane.vision.plates.train --init /tmp/s4/plate_crnn.onnx --seed 20261207 --lr 0.0005 \
        --buffer 40000 --renders 1000000 --threads 1 --max-minutes 100 --steps 200000 \
        --out /tmp/s5
    python -m amane.vision.plates.train --init /tmp/s5/plate_crnn.onnx --seed 20261216 --lr 0.0003 \
        --buffer 40000 --renders 1000000 --threads 1 --max-minutes 45 --steps 200000 \
        --relief 0.3 --outline 0.3 --out /tmp/s6
    python -m amane.vision.plates.blend /tmp/s5/plate_crnn.onnx /tmp/s6/plate_crnn.onnx --alpha 0.2 \
        --out src/amane/vision/plates/models/plate_crnn.onnx

The sixth stage learns hollow, pressed and worn characters (``--relief``, ``--outline``); alone it
reads the real plates worse than the fifth (0.862 against 0.869), but its weights blended with the
fifth's, one part in five (:mod:`~amane.vision.plates.blend`, WiSE-FT), read them better (0.874).

The renderer grew between the stages (stage 1: plate faces, tilts, loose crops; stage 2: stroke
weights, fewer unreadably small renders, crops into the border; stage 3: DIN nines; stage 4:
shadow edges across the characters, plate holders with dealer print; stage 5: separator bars
where plate makers put them, tight or far from the characters, some mid height; stage 6: digits
built like DIN 1451, ``din_digits``, Moroccan plates justified to the edges, and plates in relief).
Stages tried from the fifth and not shipped (none of them blended): the DIN digits alone (seed
20261208, lr 0.0005, 100 min, 62k steps) read the real dev set worse (0.836 against 0.851 then);
justified layouts, then ``--relief 0.4`` (seeds 20261209 to 20261211, lr 0.0004, 105 min) read 0.805
to 0.828; ``--relief 0.15`` with half of those hollow (seed 20261215, lr 0.0003, 38 min) read 0.856
(the CRNN alone; the shipped reader adds a second expert, docs/plates.md).
On a small CPU, one process renders plates while the trainer draws batches from the newest
``--buffer`` renders (each reused a few times); the schedule is cosine over the time budget, so
the steps reached depend on the load.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import multiprocessing as mp
import queue as queue_mod
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from torch import nn

from amane.core.plates import CHARSET
from amane.vision.plates.synth import INPUT_H, INPUT_W, PlateRenderer

logger = logging.getLogger(__name__)


def block(cin: int, cout: int) -> list[nn.Module]:
    """3 x 3 convolution, batch norm, ReLU."""
    return [
        nn.Conv2d(cin, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    ]


class CRNN(nn.Module):  # type: ignore[misc]
    """Small VGG-style CNN, height pooled away, 1-D convolutions over width, per-column class scores."""

    def __init__(self, n_classes: int, hidden: int = 96) -> None:
        super().__init__()
        self.cnn = nn.Sequential(
            nn.Conv2d(1, 16, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(16),
            nn.ReLU(inplace=True),
            *block(16, 32),
            nn.MaxPool2d(2),  # 8 x 32
            *block(32, 48),
            nn.MaxPool2d((2, 1)),  # 4 x 32
            *block(48, 64),
        )
        self.seq = nn.Sequential(  # 1-D convolutions along the width: parallel, cheap on a CPU
            nn.Conv1d(64, hidden, 5, padding=2),
            nn.BatchNorm1d(hidden),
            nn.ReLU(inplace=True),
            nn.Conv1d(hidden, hidden, 5, padding=2),
            nn.BatchNorm1d(hidden),
            nn.ReLU(inplace=True),
            nn.Conv1d(hidden, n_classes, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = self.cnn(x).amax(dim=2)  # N, C, T
        return torch.log_softmax(self.seq(f), dim=1).permute(0, 2, 1)  # N, T, classes (blank = 0)


def load_fused_onnx(model: CRNN, path: Path, calibration: torch.Tensor) -> None:
    """Start ``model`` from an exported ONNX model of the same shape (warm start from a shipped model).

    The export folds every batch norm into the convolution before it; here the folded weights go
    back into the convolution, and each batch norm is set so that it adds the folded bias both in
    eval mode and, on batches like ``calibration``, in training mode (its statistics are those of
    the convolution's output on that batch): the model computes what the ONNX graph computes.
    """
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(path)).graph
    weights = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in graph.initializer}
    convs = [n for n in graph.node if n.op_type == "Conv" and n.input[1].startswith("onnx::")]
    folded = [weights[n.input[1]] for n in convs]
    biases = [weights[n.input[2]] for n in convs]
    pairs: list[tuple[Any, Any]] = [
        (m, nxt)
        for seq in (model.cnn, model.seq)
        for m, nxt in zip(seq, list(seq)[1:], strict=False)
        if isinstance(m, nn.Conv2d | nn.Conv1d) and isinstance(nxt, nn.BatchNorm2d | nn.BatchNorm1d)
    ]
    if len(pairs) != len(folded):
        raise ValueError(f"{path}: {len(folded)} folded convolutions, the model has {len(pairs)}")
    with torch.no_grad():
        for (conv, bn), w, b in zip(pairs, folded, biases, strict=True):
            conv.weight.copy_(w)
            if conv.bias is not None:
                conv.bias.zero_()
            bn.weight.fill_(1.0)
            bn.bias.copy_(b)
            bn.running_mean.zero_()
            bn.running_var.fill_(1.0 - bn.eps)
        last: Any = model.seq[-1]
        last.weight.copy_(weights["seq.6.weight"])
        last.bias.copy_(weights["seq.6.bias"])
        stats: dict[nn.Module, tuple[torch.Tensor, torch.Tensor]] = {}

        def keep(conv: nn.Module, _inp: Any, out: torch.Tensor) -> None:
            dims = [d for d in range(out.dim()) if d != 1]
            stats[conv] = (out.mean(dim=dims), out.var(dim=dims, unbiased=False))

        hooks = [conv.register_forward_hook(keep) for conv, _ in pairs]
        model.eval()
        model(calibration)
        for hook in hooks:
            hook.remove()
        for conv, bn in pairs:
            mean, var = stats[conv]
            bn.weight.copy_(torch.sqrt(var + bn.eps))
            bn.bias.add_(mean)
            bn.running_mean.copy_(mean)
            bn.running_var.copy_(var)


def render_worker(
    seed: int,
    wid: int,
    queue: Any,
    count: int,
    relief: tuple[float, float] = (0.0, 0.0),
    chunk: int = 64,
) -> None:
    """Render ``count`` plates into ``queue``, ``chunk`` at a time (a separate process), then stop.
    ``relief``: the renderer's relief and outline shares (:class:`~.synth.PlateRenderer`)."""
    cv2.setNumThreads(1)
    renderer = PlateRenderer(np.random.default_rng([seed, wid]), *relief)
    for _ in range(0, count, chunk):
        samples = [renderer.sample() for _ in range(chunk)]
        queue.put((np.stack([s[0] for s in samples]), [s[1] for s in samples]))


class ReplayBuffer:
    """Fresh renders flow in from worker processes; batches are drawn from everything rendered so far.

    On a small CPU, rendering costs about as much as a training step: the workers render
    ``renders`` plates (at least ``capacity``) and stop, the newest ``capacity`` of them kept, and
    each render is reused a few times (with a cheap shift and contrast jitter).
    """

    def __init__(
        self,
        seed: int,
        workers: int,
        capacity: int,
        renders: int = 0,
        relief: tuple[float, float] = (0.0, 0.0),
    ) -> None:
        ctx = mp.get_context("spawn")
        self.queue = ctx.Queue(maxsize=64)
        per_worker = max(renders, capacity) // workers
        self.procs = [
            ctx.Process(
                target=render_worker,
                args=(seed, w, self.queue, per_worker, relief),
                daemon=True,
            )
            for w in range(workers)
        ]
        for proc in self.procs:
            proc.start()
        self.images = np.zeros((capacity, INPUT_H, INPUT_W), np.uint8)
        self.texts: list[str] = [""] * capacity
        self.size = self.next = self.rendered = 0
        self.rng = np.random.default_rng(seed)

    def drain(self, block: bool = False) -> None:
        while True:
            try:
                imgs, texts = self.queue.get(block=block, timeout=60 if block else None)
            except queue_mod.Empty:
                return
            for img, text in zip(imgs, texts, strict=True):
                self.images[self.next], self.texts[self.next] = img, text
                self.next = (self.next + 1) % len(self.texts)
                self.size = min(self.size + 1, len(self.texts))
                self.rendered += 1
            block = False

    def batch(self, n: int) -> tuple[torch.Tensor, list[str]]:
        idx = self.rng.integers(0, self.size, n)
        imgs = torch.from_numpy(self.images[idx]).float().div_(127.5).sub_(1.0).unsqueeze(1)
        gain = torch.from_numpy(self.rng.uniform(0.8, 1.2, (n, 1, 1, 1))).float()
        imgs = (imgs * gain).clamp_(-1, 1)
        shift = int(self.rng.integers(-4, 5))
        return torch.roll(imgs, shift, dims=3), [self.texts[i] for i in idx]

    def close(self) -> None:
        for proc in self.procs:
            proc.terminate()


def encode(texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """Labels as CTC targets (class = index in CHARSET + 1) and their lengths."""
    idx = [[CHARSET.index(c) + 1 for c in t] for t in texts]
    return torch.tensor([i for t in idx for i in t], dtype=torch.long), torch.tensor([len(t) for t in idx])


def greedy(logp: torch.Tensor) -> list[str]:
    """Best path decoding: collapse repeats, drop blanks."""
    out = []
    for seq in logp.argmax(-1).tolist():
        chars, prev = [], 0
        for k in seq:
            if k != prev and k != 0:
                chars.append(CHARSET[k - 1])
            prev = k
        out.append("".join(chars))
    return out


def train(args: argparse.Namespace) -> None:
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = CRNN(len(CHARSET) + 1).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    ctc = nn.CTCLoss(blank=0, zero_infinity=True)
    if args.init and not args.init.endswith(".onnx"):
        model.load_state_dict(torch.load(args.init, map_location=device))
    buffer = ReplayBuffer(args.seed, args.workers, args.buffer, args.renders, (args.relief, args.outline))
    while buffer.size < args.batch * 8:
        buffer.drain(block=True)
    if args.init.endswith(".onnx"):
        load_fused_onnx(model, Path(args.init), buffer.batch(min(buffer.size, 256))[0].to(device))
    start, step = time.time(), 0
    model.train()
    while True:
        buffer.drain()
        imgs, texts = buffer.batch(args.batch)
        frac = min(1.0, max(step / args.steps, (time.time() - start) / (args.max_minutes * 60)))
        lr = args.lr * min(1.0, (step + 1) / 200) * 0.5 * (1 + math.cos(math.pi * frac))
        for g in opt.param_groups:
            g["lr"] = lr
        logp = model(imgs.to(device, non_blocking=True))
        targets, lengths = encode(texts)
        inp_len = torch.full((logp.shape[0],), logp.shape[1], dtype=torch.long)
        loss = ctc(logp.permute(1, 0, 2), targets, inp_len, lengths)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        step += 1
        if step % 50 == 0:
            acc = np.mean([p == t for p, t in zip(greedy(logp.detach()), texts, strict=True)])
            logger.info(
                "step %d loss %.3f batch-acc %.3f lr %.5f buffer %d %.0fs",
                step,
                loss.item(),
                acc,
                lr,
                buffer.size,
                time.time() - start,
            )
        if step % 500 == 0:
            torch.save(model.state_dict(), Path(args.out) / "plate_crnn.pt")
        if step >= args.steps or step == args.stop_step or time.time() - start > args.max_minutes * 60:
            break
    buffer.close()
    logger.info("rendered %d distinct plates", buffer.rendered)
    torch.save(model.state_dict(), Path(args.out) / "plate_crnn.pt")
    export(model.cpu().eval(), Path(args.out), args, step)


def export_onnx(model: nn.Module, dummy: torch.Tensor, path: Path, input_name: str) -> None:
    """``model`` as ONNX (opset 17, legacy exporter) with a dynamic batch: ``input_name`` in, ``logp`` out."""
    torch.onnx.export(
        model,
        (dummy,),
        str(path),
        input_names=[input_name],
        output_names=["logp"],
        dynamic_axes={input_name: {0: "n"}, "logp": {0: "n"}},
        opset_version=17,
        dynamo=False,
    )


def export(model: CRNN, out: Path, args: argparse.Namespace, steps: int) -> None:
    """Write ``plate_crnn.onnx`` and ``plate_crnn.json`` (charset, input size, how it was made)."""
    out.mkdir(parents=True, exist_ok=True)
    export_onnx(model, torch.zeros(1, 1, INPUT_H, INPUT_W), out / "plate_crnn.onnx", "image")
    meta = {
        "charset": CHARSET,
        "input_h": INPUT_H,
        "input_w": INPUT_W,
        "seed": args.seed,
        "steps": steps,
        "batch": args.batch,
        "lr": args.lr,
        "normalise": "x / 127.5 - 1",
        "blank": 0,
        "args": vars(args),
        "command": "python -m amane.vision.plates.train "
        + " ".join(f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items() if v != ""),
    }
    (out / "plate_crnn.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1))
    logger.info("exported %s after %d steps", out / "plate_crnn.onnx", steps)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seed", type=int, default=20261123)
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--workers", type=int, default=1, help="render processes")
    p.add_argument("--buffer", type=int, default=50_000, help="renders kept for drawing batches")
    p.add_argument("--renders", type=int, default=0, help="plates rendered in all (default: --buffer)")
    p.add_argument(
        "--stop-step", type=int, default=0, help="end at this step, schedule unchanged (a stage cut short)"
    )
    p.add_argument(
        "--relief", type=float, default=0.0, help="share of plates drawn embossed or worn (synth.relief)"
    )
    p.add_argument(
        "--outline", type=float, default=0.0, help="of the plates in relief, the share with hollow characters"
    )
    p.add_argument("--init", default="", help="state dict (.pt) or exported model (.onnx) to start from")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--max-minutes", type=float, default=40.0)
    p.add_argument("--out", default="src/amane/vision/plates/models")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    train(p.parse_args())


if __name__ == "__main__":
    main()
