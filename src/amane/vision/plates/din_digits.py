"""Digits constructed like DIN 1451, the face of Moroccan plates, for the plate renderer.

DIN 1451 is drawn, not designed: straight strokes and arcs of one width on a grid. Its ``9`` has a
straight leg, its ``6`` a straight rising stroke, its ``7`` a straight diagonal, and its ``1`` a
flag and no foot. The narrow faces Debian ships (OSP-DIN, Roboto Condensed, Bebas Neue) curve those
strokes, and a reader trained on them takes a real plate's ``9`` for a ``3`` and its ``6`` for an
``8``. Here every digit is built from its strokes on a 7-unit-high grid, with the width, stroke
weight and a few shapes varied per plate (the makers' dies differ), and drawn with OpenCV.

>>> import numpy as np
>>> face = DinFace.sample(np.random.default_rng(0))
>>> mask = face.render("57626", 60)
>>> mask.shape[0], mask.dtype, int(mask.max())
(60, dtype('uint8'), 255)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

Mask = npt.NDArray[np.uint8]
Stroke = list[tuple[float, float]]
HEIGHT = 7.0
"""Glyph height in grid units."""
_SUBPIXEL = 4  # OpenCV fractional bits for the stroke points


def _arc(cx: float, cy: float, rx: float, ry: float, a0: float, a1: float, n: int = 24) -> Stroke:
    """Points on an ellipse from angle ``a0`` to ``a1`` (degrees, y down: 90 is the bottom)."""
    ts = np.radians(np.linspace(a0, a1, n))
    return [(cx + rx * math.cos(t), cy + ry * math.sin(t)) for t in ts]


@dataclass(frozen=True)
class DinFace:
    """One die's digits: glyph width and stroke weight in grid units, and the shape variants."""

    width: float = 4.0
    stroke: float = 1.0
    spacing: float = 0.5
    flat_three: bool = False
    six_angle: float = 215.0

    @classmethod
    def sample(cls, rng: np.random.Generator) -> DinFace:
        """A random die: Engschrift to Mittelschrift widths, light to bold strokes."""
        return cls(
            width=float(rng.uniform(3.0, 4.3)),
            stroke=float(rng.uniform(0.65, 1.15)),
            spacing=float(rng.uniform(0.25, 0.8)),
            flat_three=bool(rng.random() < 0.4),
            six_angle=float(rng.uniform(205.0, 225.0)),
        )

    def glyph_width(self, digit: str) -> float:
        return self.width * (0.72 if digit == "1" else 1.0)

    def strokes(self, digit: str) -> list[Stroke]:
        """Centre lines of ``digit``'s strokes in grid units; ends meant flat run past the glyph box."""
        w, s = self.glyph_width(digit), self.stroke
        x0, x1, y0, y1 = s / 2, w - s / 2, s / 2, HEIGHT - s / 2
        r, cx, tall = (x1 - x0) / 2, w / 2, y1 - y0
        out = -1.5  # past the box: the clip cuts the stroke end flat
        if digit == "0":
            top = _arc(cx, y0 + r, r, r, 180, 360)
            bottom = _arc(cx, y1 - r, r, r, 0, 180)
            return [top + bottom + top[:1]]
        if digit == "1":
            stem = x1 - 0.15 * r
            return [[(stem, out), (stem, HEIGHT - out)], [(x0, y0 + 0.3 * tall), (stem, y0)]]
        if digit == "2":
            bowl = _arc(cx, y0 + r, r, r, 180, 385)
            return [[*bowl, (x0, y1), (w - out, y1)]]
        if digit == "3":
            mid = y0 + 0.42 * tall
            ry = (y1 - mid) / 2
            lower = _arc(cx, mid + ry, r, ry, 270, 525)
            if self.flat_three:
                return [[(out, y0), (x1, y0), (cx - 0.1 * r, mid), *lower[1:]]]
            upper_ry = (mid - y0) / 2
            upper = _arc(cx, y0 + upper_ry, 0.9 * r, upper_ry, 195, 450)
            return [upper, [(cx - 0.4 * r, mid), (cx, mid), *lower]]
        if digit == "4":
            stem, bar = x1 - 0.3 * r, y0 + 0.68 * tall
            return [[(stem, out), (stem, HEIGHT - out)], [(stem, y0), (x0, bar), (w - out, bar)]]
        if digit == "5":
            top_of_bowl = y0 + 0.38 * tall
            ry = (y1 - top_of_bowl) / 2
            bowl = _arc(cx, top_of_bowl + ry, r, ry, 215, 510)
            return [[(w - out, y0), (x0 + 0.15 * r, y0), bowl[0], *bowl[1:]]]
        if digit in "69":
            ry = 0.56 * tall / 2
            cy = y1 - ry
            t = math.radians(self.six_angle)
            px, py = cx + r * math.cos(t), cy + ry * math.sin(t)
            dx, dy = -math.sin(t) * r, math.cos(t) * ry  # tangent of the ellipse at t
            k = (py - out) / -dy
            strokes = [_arc(cx, cy, r, ry, 0, 360, 32), [(px, py), (px + k * dx, out)]]
            if digit == "9":  # DIN's 9 is its 6 turned half a turn
                return [[(w - x, HEIGHT - y) for x, y in st] for st in strokes]
            return strokes
        if digit == "7":
            return [[(out, y0), (x1, y0), (x0 + 0.55 * r, HEIGHT - out)]]
        if digit == "8":
            split = y0 + 0.45 * tall
            upper = _arc(cx, (y0 + split) / 2, 0.86 * r, (split - y0) / 2, 0, 360, 32)
            lower = _arc(cx, (split + y1) / 2, r, (y1 - split) / 2, 0, 360, 32)
            return [upper, lower]
        raise ValueError(f"not a digit: {digit!r}")

    def render_glyph(self, digit: str, height: int) -> Mask:
        """``digit`` as a ``height``-pixel-high mask (255 ink on 0)."""
        k = height / HEIGHT
        scale = k * (1 << _SUBPIXEL)
        mask = np.zeros((height, max(1, round(self.glyph_width(digit) * k))), np.uint8)
        for stroke in self.strokes(digit):
            pts = np.array([[round(x * scale), round(y * scale)] for x, y in stroke], np.int32)
            thickness = max(1, round(self.stroke * k))
            cv2.polylines(mask, [pts], False, 255, thickness, cv2.LINE_AA, _SUBPIXEL)
        return mask

    def render(self, digits: str, height: int) -> Mask:
        """A run of digits, ``height`` pixels high, glyphs ``spacing`` units apart."""
        gap = np.zeros((height, max(1, round(self.spacing * height / HEIGHT))), np.uint8)
        parts: list[Mask] = []
        for i, d in enumerate(digits):
            if i:
                parts.append(gap)
            parts.append(self.render_glyph(d, height))
        if not parts:
            raise ValueError("no digits to render")
        return np.hstack(parts)
