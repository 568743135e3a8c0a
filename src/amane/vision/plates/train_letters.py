"""Train the series-letter classifier on rendered letter windows and export it to ONNX.

Training only: needs PyTorch (``make train-deps``), never imported at run time. The windows come from
:mod:`amane.vision.plates.letter_synth` (rendered plates, nothing from ``../shared/data``). Reproduce the
shipped model (``models/plate_letter.onnx``; ``plate_letter.json`` records the arguments)::

    python -m amane.vision.plates.train_letters --seed 20261214 --samples 150000 --epochs 10 \\
        --window 40 --width 1.5 --relief 0.3 --outline 0.3 --out src/amane/vision/plates/models

(90 min on two CPU cores: 18 to render the windows, 7 an epoch.) 30 % of its plates are drawn in
relief (:mod:`~amane.vision.plates.relief`), as many real plates are: hollow characters on 30 % of
those, pressed or worn ones on the rest.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing as mp
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt
import torch
from torch import nn

from amane.vision.plates.letter_synth import CLASSES, WINDOW, LetterWindows, batch
from amane.vision.plates.train import block, export_onnx

logger = logging.getLogger(__name__)


class LetterNet(nn.Module):  # type: ignore[misc]
    """A small VGG-style classifier of a square grey window (``window`` pixels, a multiple of 8);
    ``width`` scales its channels."""

    def __init__(self, n_classes: int = len(CLASSES), window: int = WINDOW, width: float = 1.0) -> None:
        super().__init__()
        c1, c2, c3 = (max(8, round(c * width)) for c in (24, 48, 64))
        self.net = nn.Sequential(
            *block(1, c1),
            nn.MaxPool2d(2),
            *block(c1, c2),
            nn.MaxPool2d(2),
            *block(c2, c3),
            *block(c3, c3),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Dropout(0.3),
            nn.Linear(c3 * (window // 8) ** 2, 128),
            nn.ReLU(inplace=True),
            nn.Linear(128, n_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.log_softmax(self.net(x), dim=1)


def _render(
    args: tuple[int, int, int, float, float, float, int],
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64]]:
    seed, chunk_id, n, none_share, relief_share, outline_share, window = args
    rng = np.random.default_rng([seed, chunk_id])
    return batch(LetterWindows(rng, none_share, relief_share, outline_share, window), n)


def render(
    seed: int, n: int, args: argparse.Namespace, chunk: int = 500
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64]]:
    """``n`` windows rendered by ``args.workers`` processes (deterministic for a seed)."""
    shares = (args.none_share, args.relief, args.outline, args.window)
    jobs = [(seed, i, min(chunk, n - i * chunk), *shares) for i in range((n + chunk - 1) // chunk)]
    with mp.get_context("spawn").Pool(args.workers) as pool:
        parts = pool.map(_render, jobs)
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _tensor(images: npt.NDArray[np.uint8]) -> torch.Tensor:
    return torch.from_numpy(images).float().div_(127.5).sub_(1.0).unsqueeze(1)


def train(args: argparse.Namespace) -> None:
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    start = time.time()
    images, labels = render(args.seed, args.samples, args)
    held_images, held_labels = render(args.seed + 1, 2000, args)
    logger.info("rendered %d windows in %.0fs", len(labels), time.time() - start)
    model = LetterNet(window=args.window, width=args.width)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    steps = args.epochs * (len(labels) // args.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=steps)
    rng = np.random.default_rng(args.seed)
    x_all, y_all = _tensor(images), torch.from_numpy(labels)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.05)  # on log-probabilities: the same softmax
    for epoch in range(args.epochs):
        model.train()
        order = torch.from_numpy(rng.permutation(len(labels)))
        for i in range(len(labels) // args.batch):
            idx = order[i * args.batch : (i + 1) * args.batch]
            x = x_all[idx] * torch.from_numpy(rng.uniform(0.7, 1.2, (len(idx), 1, 1, 1))).float()
            x = torch.roll(x.clamp_(-1, 1), int(rng.integers(-2, 3)), dims=3)
            loss = loss_fn(model(x), y_all[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
        model.eval()
        with torch.no_grad():
            acc = (model(_tensor(held_images)).argmax(1).numpy() == held_labels).mean()
        logger.info(
            "epoch %d loss %.3f held-out accuracy %.3f %.0fs", epoch, loss.item(), acc, time.time() - start
        )
    export(model, Path(args.out), args, float(acc))


def export(model: LetterNet, out: Path, args: argparse.Namespace, held_out: float) -> None:
    """Write ``plate_letter.onnx`` and ``plate_letter.json`` (classes, input size, how it was made)."""
    out.mkdir(parents=True, exist_ok=True)
    size = args.window
    export_onnx(model.eval(), torch.zeros(1, 1, size, size), out / "plate_letter.onnx", "window")
    meta = {
        "classes": CLASSES,
        "window": size,
        "normalise": "x / 127.5 - 1",
        "held_out_render_accuracy": round(held_out, 4),
        "args": vars(args),
        "command": "python -m amane.vision.plates.train_letters "
        + " ".join(f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items() if k != "out"),
    }
    (out / "plate_letter.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1))
    logger.info("exported %s", out / "plate_letter.onnx")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seed", type=int, default=20261207)
    p.add_argument("--samples", type=int, default=120_000)
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--workers", type=int, default=2, help="render processes")
    p.add_argument("--none-share", type=float, default=0.25, help="share of windows centred on no letter")
    p.add_argument("--relief", type=float, default=0.0, help="share of plates pressed or worn (synth.relief)")
    p.add_argument("--outline", type=float, default=0.0, help="of those, the share with hollow characters")
    p.add_argument("--window", type=int, default=WINDOW, help="window side (pixels, a multiple of 8)")
    p.add_argument("--width", type=float, default=1.0, help="channel multiplier of the network")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", default="src/amane/vision/plates/models")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    train(p.parse_args())


if __name__ == "__main__":
    main()
