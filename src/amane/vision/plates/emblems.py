"""Paint out what is printed on a Latin plate but is not its number: coloured emblems and bands.

European plates carry a blue EU band with the country code, coats of arms (Slovakia), round
inspection stickers (Czechia, Germany) between the character groups; Mercosur plates a blue band
on top. A general text reader reads them as characters (``SK`` as ``E`` or ``P``, a red-green
sticker as ``8``). The characters themselves are dark on a white, grey or yellow ground, so
strongly coloured pixels of another hue than the ground are not characters: a band of such colour
along an edge is cut off (with the white letters printed inside it), and blobs inside the plate
are filled with the ground colour.

Not for Moroccan plates: the police letter ``ش`` is red.

>>> import numpy as np
>>> plate = np.full((40, 160, 3), 235, np.uint8)
>>> plate[:, :16] = (160, 40, 20)     # a blue EU band (BGR)
>>> plate[10:30, 40:44] = 10          # a dark character stroke
>>> plate[14:26, 80:90] = (40, 40, 200)  # a red sticker
>>> clean = mask_emblems(plate)
>>> clean.shape[1] < 150, int(clean[20, 85 - 160 + clean.shape[1]].min()) > 200
(True, True)
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from amane.vision.plates.base import Image

_MIN_SATURATION = 55
_MIN_VALUE = 50
_HUE_TOLERANCE = 18
_BAND_FRACTION = 0.45


def _hue_distance(h: npt.NDArray[np.int16], ref: float) -> npt.NDArray[np.float64]:
    """Distance on OpenCV's 0..179 hue circle."""
    d = np.abs(h.astype(np.float64) - ref)
    return np.minimum(d, 180.0 - d)


def _coloured(crop: Image) -> npt.NDArray[np.bool_]:
    """Strongly coloured pixels of another hue than the plate's ground, not dark like characters."""
    hsv = cv2.cvtColor(crop, cv2.COLOR_BGR2HSV)
    hue, sat, val = hsv[..., 0].astype(np.int16), hsv[..., 1], hsv[..., 2]
    bright = val >= np.percentile(val, 60)
    ground_sat = float(np.median(sat[bright]))
    ground_val = float(np.median(val[bright]))
    # characters are dark: colour fringes around them (JPEG, chromatic blur) are not emblems
    min_sat = max(_MIN_SATURATION, ground_sat + 40.0) if ground_sat <= _MIN_SATURATION else _MIN_SATURATION
    coloured = (sat > min_sat) & (val > max(_MIN_VALUE, 0.5 * ground_val))
    if ground_sat > _MIN_SATURATION:  # a coloured (yellow) ground: keep its own hue
        ground_hue = float(np.median(hue[bright]))
        coloured &= _hue_distance(hue, ground_hue) > _HUE_TOLERANCE
    return coloured


def _edge_run(fraction: npt.NDArray[np.float64], limit: float) -> int:
    """Length of the run of band lines (mostly coloured) starting at index 0, within ``limit``."""
    band = fraction > _BAND_FRACTION
    n = 0
    while n < len(band) and band[n]:
        n += 1
    return n if 0 < n <= limit * len(band) else 0


def band_cut(crop: Image) -> tuple[int, int, int, int]:
    """``x0, y0, x1, y1`` of ``crop`` without the coloured bands along its edges (EU band, Mercosur top)."""
    h, w = crop.shape[:2]
    coloured = _coloured(crop)
    cols, rows = coloured.mean(axis=0), coloured.mean(axis=1)
    x0, x1 = _edge_run(cols, 0.25), w - _edge_run(cols[::-1], 0.2)
    y0 = _edge_run(rows, 0.35)
    def beyond(n: int, step: int) -> int:  # a little past the band's edge
        return n + max(1, step) if n else 0

    x0, x1 = beyond(x0, w // 80), w - beyond(w - x1, w // 80)
    return x0, beyond(y0, h // 40), max(x0 + 1, x1), h


def mask_emblems(crop: Image) -> Image:
    """``crop`` (BGR) without its edge bands, its coloured emblems filled with the ground colour
    (``crop`` itself when it has neither)."""
    if crop.ndim != 3 or crop.size == 0 or min(crop.shape[:2]) < 8:
        return crop
    x0, y0, x1, y1 = band_cut(crop)
    banded = (x0, y0, x1, y1) != (0, 0, crop.shape[1], crop.shape[0])
    out = crop[y0:y1, x0:x1].copy()
    coloured = _coloured(out)
    h, w = coloured.shape
    mask = np.zeros_like(coloured)
    # an emblem's dark rim and inner lines are not saturated: cover each blob's box, a little grown
    _, _, stats, _ = cv2.connectedComponentsWithStats(coloured.astype(np.uint8), connectivity=8)
    for x, y, bw, bh, area in stats[1:]:
        if area < 4 or bw > w // 3:
            continue
        gx, gy = max(1, bw // 5), max(1, bh // 5)
        mask[max(0, y - gy) : min(h, y + bh + gy), max(0, x - gx) : min(w, x + bw + gx)] = True
    if not mask.any() or mask.all():
        return out if banded else crop
    grey = cv2.cvtColor(out, cv2.COLOR_BGR2GRAY)
    keep = ~mask
    ground_px = out[keep & (grey >= np.percentile(grey[keep], 60))]
    out[mask] = np.median(ground_px, axis=0).astype(np.uint8) if len(ground_px) else 255
    return out
