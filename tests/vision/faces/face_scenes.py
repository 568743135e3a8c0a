"""Real face images that ship in PyPI packages, and a rendered street scene to paste them into.

(Not a conftest: two conftest.py files in test folders without ``__init__.py`` collide.)
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import skimage
import skimage.data

Image = np.ndarray


def astronaut_bgr() -> Image:
    """scikit-image's astronaut photo (Eileen Collins, public domain), BGR."""
    return np.ascontiguousarray(skimage.data.astronaut()[:, :, ::-1])  # type: ignore[no-untyped-call]


def lfw_faces() -> np.ndarray:
    """The LFW subset that ships in scikit-image: 25x25 grey face crops of other people (first 100)."""
    data = np.load(Path(skimage.__file__).parent / "data" / "lfw_subset.npy")
    return np.asarray(data[:100] * 255 if data.dtype != np.uint8 else data[:100]).astype(np.uint8)


def lfw_head(index: int, size: int = 200) -> Image:
    """One LFW face, upscaled and framed like a head-and-shoulders crop, BGR."""
    face = cv2.resize(lfw_faces()[index], (size, size), interpolation=cv2.INTER_CUBIC)
    canvas = np.full((size + 60, size + 40), 110, np.uint8)
    canvas[20:20 + size, 20:20 + size] = face
    return cv2.cvtColor(canvas, cv2.COLOR_GRAY2BGR)


def street(width: int = 1280, height: int = 720, seed: int = 0) -> Image:
    """A rendered street: sky gradient, buildings with windows, pavement and road."""
    rng = np.random.default_rng(seed)
    img = np.zeros((height, width, 3), np.uint8)
    sky = np.linspace(200, 140, height // 2).astype(np.uint8)
    img[: height // 2] = np.stack([sky, sky - 10, sky - 40], axis=1)[:, None, :]
    x = 0
    while x < width:
        w = int(rng.integers(120, 260))
        top = int(rng.integers(60, 200))
        colour = tuple(int(c) for c in rng.integers(60, 180, 3))
        cv2.rectangle(img, (x, top), (x + w, height // 2 + 80), colour, -1)
        for wy in range(top + 20, height // 2 + 40, 50):
            for wx in range(x + 15, x + w - 25, 40):
                cv2.rectangle(img, (wx, wy), (wx + 18, wy + 26), (40, 50, 60), -1)
        x += w + int(rng.integers(0, 20))
    img[height // 2 + 80:] = (120, 120, 125)
    img[height - 160:] = (70, 70, 72)
    return img


def paste_person(frame: Image, head: Image, x: int, y: int,
                 head_width: int) -> tuple[float, float, float, float]:
    """Paste a head (scaled to ``head_width``) on a drawn body at (x, y); returns the person box."""
    scale = head_width / head.shape[1]
    h = cv2.resize(head, (head_width, round(head.shape[0] * scale)), interpolation=cv2.INTER_AREA)
    hh, hw = h.shape[:2]
    frame[y:y + hh, x:x + hw] = h
    body_w, body_h = int(hw * 1.3), int(hh * 2.4)
    bx = x + hw // 2 - body_w // 2
    cv2.rectangle(frame, (bx, y + hh), (bx + body_w, y + hh + body_h), (40, 60, 150), -1)
    return (float(bx), float(y), float(bx + body_w), float(y + hh + body_h))
