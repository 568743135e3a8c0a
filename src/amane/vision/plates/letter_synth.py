"""Training windows for the series-letter classifier: the letter of a rendered Moroccan plate, cut from
the plate as the reader sees it flat (:mod:`~amane.vision.plates.plate_quad`).

A window is square, the flat plate's height on a side, centred on the letter with the jitter that the
reader's letter position (a CTC column of the recogniser) has; the plate behind it is drawn by
:class:`~amane.vision.plates.synth.PlateRenderer` (fonts, bars with bolt heads, justified layouts),
found with the errors a found outline has, warped, lit, shrunk to a road camera's resolution, blurred,
compressed and noised.

>>> import numpy as np
>>> windows = LetterWindows(np.random.default_rng(1))
>>> img, letter = windows.sample()
>>> img.shape, letter in CLASSES
((32, 32), True)
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from amane.vision.plates.plate_quad import grow
from amane.vision.plates.synth import Grey, PlateRenderer

SERIES_LETTERS = "أبدهوط"
"""The series letters of standard Moroccan plates."""
NONE = "-"
"""The class of a window centred on no letter (a digit, a bar, the plate's edge)."""
CLASSES = SERIES_LETTERS + NONE
"""The classifier's classes, in output order."""
WINDOW = 32
"""Side of a window (pixels) as the classifier reads it."""
FLAT_HEIGHT = 64
"""Height of the flat plate the reader cuts windows from."""
_MARGIN = (0.03, 0.1)


def letter_window(flat: Grey, centre_x: float, width: float = 1.0, size: int = WINDOW) -> Grey:
    """A ``size``-pixel square cut from a flat plate around ``centre_x``, ``width`` plate heights wide
    (edges repeated where it runs off the plate)."""
    h = flat.shape[0]
    half = width * h / 2
    x0, x1 = round(centre_x - half), round(centre_x + half)
    pad = max(0, -x0, x1 - flat.shape[1])
    padded: Any = cv2.copyMakeBorder(flat, 0, 0, pad, pad, cv2.BORDER_REPLICATE) if pad else flat
    cut = padded[:, x0 + pad : x1 + pad]
    out: Grey = cv2.resize(cut, (size, size), interpolation=cv2.INTER_AREA if h > size else cv2.INTER_LINEAR)
    return out


class LetterWindows:
    """Endless ``size``-pixel letter windows with their letter; ``none_share`` of them centred clear of
    the letter and labelled :data:`NONE`; ``relief_share`` of the plates pressed, worn or, ``outline_share``
    of those, hollow (:mod:`~amane.vision.plates.relief`)."""

    def __init__(
        self,
        rng: np.random.Generator,
        none_share: float = 0.0,
        relief_share: float = 0.0,
        outline_share: float = 0.0,
        size: int = WINDOW,
    ) -> None:
        self.rng = rng
        self.none_share = none_share
        self.size = size
        self.renderer = PlateRenderer(rng, relief_share, outline_share)

    def sample(self) -> tuple[Grey, str]:
        rng = self.renderer.rng
        while True:
            plate = self.renderer.moroccan()
            runs = [r for r in self.renderer.last_runs if r[0][:1] in SERIES_LETTERS]
            if runs:
                break
        glyph, left, right = runs[0]
        rgb = np.asarray(plate.image)
        h, w = rgb.shape[:2]
        pad = h
        canvas = self.renderer._car_body(h + 2 * pad, w + 2 * pad)
        canvas[pad : pad + h, pad : pad + w] = rgb
        corners = np.array([[pad, pad], [pad + w, pad], [pad + w, pad + h], [pad, pad + h]], np.float32)
        found = corners + rng.normal(0, 1, (4, 2)).astype(np.float32) * [0.012 * w, 0.05 * h]
        # the outline found is sometimes a band inside the plate, sometimes the plate with its holder
        # or a bright panel above or below it: the letter need not sit mid-height in the window
        quad = grow(found, _MARGIN[0] + rng.uniform(-0.04, 0.15), _MARGIN[1])
        down = (quad[3] + quad[2] - quad[0] - quad[1]) / 2
        quad[:2] -= rng.uniform(-0.15, 0.6) * down
        quad[2:] += rng.uniform(-0.15, 0.6) * down
        out_w = round(
            FLAT_HEIGHT * float(np.linalg.norm(quad[1] - quad[0])) / float(np.linalg.norm(quad[3] - quad[0]))
        )
        dst = np.array(
            [[0, 0], [out_w - 1, 0], [out_w - 1, FLAT_HEIGHT - 1], [0, FLAT_HEIGHT - 1]], np.float32
        )
        m = cv2.getPerspectiveTransform(quad, dst)
        flat_rgb = cv2.warpPerspective(canvas, m, (out_w, FLAT_HEIGHT), borderMode=cv2.BORDER_REPLICATE)
        centre = cv2.perspectiveTransform(
            np.array([[[pad + (left + right) / 2, pad + h / 2]]], np.float32), m
        )
        grey = self.renderer._light(cv2.cvtColor(flat_rgb, cv2.COLOR_RGB2GRAY).astype(np.float32))
        flat = self._camera(np.clip(grey, 0, 255).astype(np.uint8))
        width = float(rng.uniform(0.45, 1.6))
        x = float(centre[0, 0, 0]) + float(np.clip(rng.normal(0, 0.12), -0.3, 0.3)) * FLAT_HEIGHT
        label = glyph[0]
        if rng.random() < self.none_share:  # a digit, a bar or the plate's edge, clear of the letter
            clear = (0.55 * width + 0.5 * (right - left) / h) * FLAT_HEIGHT
            for _ in range(10):
                at = cv2.perspectiveTransform(
                    np.array([[[pad + rng.uniform(0, w), pad + h / 2]]], np.float32), m
                )
                if abs(float(at[0, 0, 0]) - float(centre[0, 0, 0])) > clear:
                    x, label = float(at[0, 0, 0]), NONE
                    break
        window = letter_window(flat, x, width, self.size).astype(np.float32)
        window += rng.normal(0, rng.uniform(0, 6), window.shape)
        return np.clip(window, 0, 255).astype(np.uint8), label

    def _camera(self, flat: Grey) -> Grey:
        """The flat plate as a road camera saw it: shrunk to 12 to 64 rows, blurred, compressed, enlarged
        back (the reader warps the crop it was given)."""
        rng = self.renderer.rng
        small_h = int(
            rng.choice([12, 16, 20, 24, 32, 40, 48, 64], p=[0.04, 0.08, 0.12, 0.16, 0.2, 0.16, 0.12, 0.12])
        )
        small_w = max(8, round(flat.shape[1] * small_h / flat.shape[0]))
        img: Any = cv2.resize(flat, (small_w, small_h), interpolation=cv2.INTER_AREA)
        if rng.random() < 0.5:
            img = cv2.GaussianBlur(img, (3, 3), rng.uniform(0.3, 1.2))
        if rng.random() < 0.6:
            ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(25, 95))])
            if ok:
                img = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
        out: Grey = cv2.resize(img, (flat.shape[1], flat.shape[0]), interpolation=cv2.INTER_LINEAR)
        return out


def batch(windows: LetterWindows, n: int) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64]]:
    """``n`` windows and their class indices."""
    pairs = [windows.sample() for _ in range(n)]
    return np.stack([p[0] for p in pairs]), np.array([CLASSES.index(p[1]) for p in pairs])
