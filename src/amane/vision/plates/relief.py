"""Embossed and worn characters, for the plate renderer.

Real plates are pressed aluminium: the characters stand out of the plate, so the side of every
stroke that faces the light catches a highlight (the ink there reads as pale as the ground) and the
far side throws a thin shadow on the plate. The paint wears and glints in patches too. On a real
DIN ``9`` the lit left side of its loop fades, and a reader that never saw this takes it for a ``3``
(a ``6`` for a ``5``, an ``8`` for a ``3``). These effects act on a drawn plate, given its ground and
ink colours.

>>> import numpy as np
>>> plate = np.full((40, 80, 3), 240, np.uint8)
>>> plate[10:30, 30:40] = 20  # one stroke
>>> out = emboss(plate, (240, 240, 240), (20, 20, 20), np.random.default_rng(1))
>>> out.shape, out.dtype, bool((out != plate).any())
((40, 80, 3), dtype('uint8'), True)
"""

from __future__ import annotations

import math
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

RGB = npt.NDArray[np.uint8]
Colour = tuple[int, int, int]


def ink_share(plate: RGB, ground: Colour, ink: Colour) -> npt.NDArray[np.float32]:
    """How much of each pixel is ink (0: ground, 1: ink), from the colour distances."""
    g = np.asarray(ground, np.float32)
    span = max(float(np.linalg.norm(np.asarray(ink, np.float32) - g)), 1.0)
    dist = np.linalg.norm(plate.astype(np.float32) - g, axis=2) / span
    out: npt.NDArray[np.float32] = np.clip(dist, 0.0, 1.0).astype(np.float32)
    return out


def _shifted(mask: npt.NDArray[np.float32], dx: float, dy: float) -> npt.NDArray[np.float32]:
    m = np.array([[1, 0, dx], [0, 1, dy]], np.float32)
    return np.asarray(
        cv2.warpAffine(
            mask, m, (mask.shape[1], mask.shape[0]), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT
        ),
        np.float32,
    )


def emboss(plate: RGB, ground: Colour, ink: Colour, rng: np.random.Generator) -> RGB:
    """``plate`` with raised characters lit from a random side: a highlight eats into each stroke on
    the lit side (a fraction of the stroke width up to most of it) and a shadow falls beside it on the
    other."""
    share = ink_share(plate, ground, ink)
    h = plate.shape[0]
    angle = (
        rng.uniform(0, 2 * math.pi) if rng.random() < 0.4 else rng.normal(math.pi, 0.6)
    )  # mostly from the left
    depth = float(rng.uniform(0.015, 0.06)) * h
    dx, dy = depth * math.cos(angle), depth * math.sin(angle)
    # _shifted(share, -d)[p] is share[p + d]: a stroke pixel whose neighbour towards the light is
    # ground lies on the lit face
    lit = share * (1.0 - _shifted(share, -dx, -dy))
    shade = _shifted(share, -dx * 0.7, -dy * 0.7) * (
        1.0 - share
    )  # ground whose neighbour towards the light is stroke: in its shadow
    lit = cv2.GaussianBlur(lit, (0, 0), max(0.4, depth * 0.3))
    out = plate.astype(np.float32)
    glint = np.asarray(ground, np.float32) * rng.uniform(0.95, 1.08)
    strength = rng.uniform(0.7, 1.0)
    out += (glint - out) * (strength * lit)[..., None]
    out *= (1.0 - rng.uniform(0.0, 0.35) * shade)[..., None]
    result: RGB = np.clip(out, 0, 255).astype(np.uint8)
    return result


def wear(plate: RGB, ground: Colour, ink: Colour, rng: np.random.Generator) -> RGB:
    """``plate`` with the ink worn or glinting in blotches (smooth noise, thresholded)."""
    h, w = plate.shape[:2]
    cell = max(2, int(h * rng.uniform(0.03, 0.12)))
    noise: Any = rng.random((h // cell + 2, w // cell + 2)).astype(np.float32)
    noise = cv2.resize(noise, (w, h), interpolation=cv2.INTER_CUBIC)
    cover = float(rng.uniform(0.05, 0.3))  # share of the plate worn
    cut = float(np.quantile(noise, 1.0 - cover))
    blot = np.clip((noise - cut) / 0.08, 0.0, 1.0) * rng.uniform(0.5, 1.0)
    blot *= ink_share(plate, ground, ink)
    out = plate.astype(np.float32)
    out += (np.asarray(ground, np.float32) - out) * blot[..., None]
    result: RGB = np.clip(out, 0, 255).astype(np.uint8)
    return result


def outline(plate: RGB, ground: Colour, ink: Colour, rng: np.random.Generator) -> RGB:
    """``plate`` with hollow characters: a pressed plate whose characters were never painted (or whose
    paint is gone) shows each stroke only by the dark rim its raised edge casts, its face as pale as the
    ground."""
    share = ink_share(plate, ground, ink)
    rim = max(1, round(plate.shape[0] * float(rng.uniform(0.012, 0.03))))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * rim + 1, 2 * rim + 1))
    face = np.asarray(cv2.erode(share, kernel), np.float32)
    face = np.asarray(cv2.GaussianBlur(face, (0, 0), max(0.5, rim * 0.5)), np.float32)
    pale = np.asarray(ground, np.float32) * float(rng.uniform(0.9, 1.02))
    out = plate.astype(np.float32)
    out += (pale - out) * (float(rng.uniform(0.8, 1.0)) * face)[..., None]
    result: RGB = np.clip(out, 0, 255).astype(np.uint8)
    return result
