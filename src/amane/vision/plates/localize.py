"""Plate localisation in full frames: text-line detection (PP-OCRv4 DB detector, ONNX shipped in
``rapidocr-onnxruntime``) turned into plate-shaped quadrilaterals.

The detector's probability map is thresholded; each blob becomes a rotated rectangle, grown
(DB "unclip") and grown again to the plate border; boxes on one line close together are merged
(``57626 | ب | 8`` may come out as three blobs). Candidates that cannot be plates (too small, too
tall, too long) are dropped. Inside vehicle boxes when the pipeline gives them, else the whole frame.

>>> import numpy as np
>>> loc = PlateLocalizer(LocalizerConfig())
>>> loc.find(np.zeros((240, 320, 3), np.uint8))
[]
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from amane.vision.plates.base import Image
from amane.vision.plates.onnx_cpu import cpu_session

logger = logging.getLogger(__name__)

Quad = npt.NDArray[np.float32]
"""Four corners (4, 2), ordered top-left, top-right, bottom-right, bottom-left."""


def _default_det_model() -> Path:
    import rapidocr_onnxruntime

    return Path(rapidocr_onnxruntime.__file__).parent / "models" / "ch_PP-OCRv4_det_infer.onnx"


class LocalizerConfig(BaseModel):
    """Configuration of the plate localiser."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["db-text"] = "db-text"
    model_path: Path | None = Field(None, description="DB text detector ONNX; default: the one in rapidocr")
    max_side: int = Field(
        960, ge=160, le=4096, description="Frames are scaled so the long side is at most this"
    )
    region_side: int = Field(480, ge=96, le=2048, description="Long side for vehicle regions")
    region_upscale: float = Field(
        2.0, ge=1.0, le=4.0, description="Small vehicle regions are enlarged up to this factor (far plates)"
    )
    threshold: float = Field(0.3, gt=0, lt=1, description="Probability-map threshold")
    box_threshold: float = Field(0.5, gt=0, lt=1, description="Mean probability a blob needs")
    unclip: float = Field(1.6, ge=1.0, le=3.0, description="DB unclip ratio (text-line growth)")
    grow_x: float = Field(
        0.06, ge=0, le=0.5, description="Extra growth to the plate border, fraction of width"
    )
    grow_y: float = Field(
        0.18, ge=0, le=1.0, description="Extra growth to the plate border, fraction of height"
    )
    min_height: int = Field(8, ge=4, le=200, description="Smallest plate text height in pixels")
    min_aspect: float = Field(1.2, ge=0.5, le=5, description="Smallest width/height of a candidate")
    max_aspect: float = Field(11.0, ge=2, le=30, description="Largest width/height of a candidate")
    max_candidates: int = Field(12, ge=1, le=100, description="Most candidates kept per frame, best first")
    threads: int = Field(1, ge=1, le=16, description="onnxruntime intra-op threads")


@dataclass(frozen=True)
class PlateCandidate:
    """A place in the frame that may hold a plate."""

    quad: Quad
    score: float

    @property
    def width(self) -> float:
        """Length of the quad's top edge, pixels."""
        return float(np.linalg.norm(self.quad[1] - self.quad[0]))

    @property
    def box(self) -> tuple[float, float, float, float]:
        """Axis-aligned ``xyxy`` around the quad."""
        return (
            float(self.quad[:, 0].min()),
            float(self.quad[:, 1].min()),
            float(self.quad[:, 0].max()),
            float(self.quad[:, 1].max()),
        )


def order_quad(points: npt.NDArray[Any]) -> Quad:
    """Order 4 points top-left, top-right, bottom-right, bottom-left.

    >>> order_quad(np.array([[10, 0], [0, 0], [0, 5], [10, 5]])).tolist()
    [[0.0, 0.0], [10.0, 0.0], [10.0, 5.0], [0.0, 5.0]]
    """
    pts = np.asarray(points, dtype=np.float32).reshape(4, 2)
    by_x = pts[np.argsort(pts[:, 0], kind="stable")]
    left, right = by_x[:2], by_x[2:]
    tl, bl = left[np.argsort(left[:, 1], kind="stable")]
    tr, br = right[np.argsort(right[:, 1], kind="stable")]
    return np.array([tl, tr, br, bl], dtype=np.float32)


class PlateLocalizer:
    """Finds plate candidates with the DB text detector."""

    name = "db-text"

    def __init__(self, config: LocalizerConfig | None = None) -> None:
        self.config = config or LocalizerConfig()
        self.session = cpu_session(self.config.model_path or _default_det_model(), self.config.threads)
        self.input_name = self.session.get_inputs()[0].name

    def find(
        self, image: Image, regions: list[tuple[float, float, float, float]] | None = None
    ) -> list[PlateCandidate]:
        """Plate candidates in ``image`` (BGR), inside ``regions`` (xyxy) when given, best first."""
        if regions is None:
            return self._find(image, 0, 0, self.config.max_side)
        out: list[PlateCandidate] = []
        h, w = image.shape[:2]
        for x1, y1, x2, y2 in regions:
            xa, ya = max(0, int(x1)), max(0, int(y1))
            xb, yb = min(w, round(x2)), min(h, round(y2))
            if xb - xa >= 16 and yb - ya >= 16:
                region = image[ya:yb, xa:xb]
                out.extend(self._find(region, xa, ya, self.config.region_side, self.config.region_upscale))
        out.sort(key=lambda c: -c.score)
        return out[: self.config.max_candidates]

    def lines(self, image: Image, max_side: int) -> list[PlateCandidate]:
        """Plate-shaped text lines in ``image`` (a crop around one plate), worked at ``max_side``
        (small crops enlarged up to twice)."""
        return self._find(image, 0, 0, max_side, 2.0)

    def probability_map(
        self, image: Image, max_side: int, upscale: float = 1.0
    ) -> tuple[npt.NDArray[np.float32], float, float]:
        """Text probability map of ``image`` (scaled to ``max_side``, enlarged at most ``upscale`` times)
        and the x, y scale from map to image pixels."""
        h, w = image.shape[:2]
        scale = min(upscale, max_side / max(h, w))
        nh, nw = max(32, round(h * scale / 32) * 32), max(32, round(w * scale / 32) * 32)
        resized = cv2.resize(image, (nw, nh))
        x = (resized.astype(np.float32) / 255.0 - 0.5) / 0.5
        x = x.transpose(2, 0, 1)[None]
        prob: npt.NDArray[np.float32] = self.session.run(None, {self.input_name: x})[0][0, 0]
        return prob, w / nw, h / nh

    def _find(
        self, image: Image, ox: int, oy: int, max_side: int, upscale: float = 1.0
    ) -> list[PlateCandidate]:
        if image.ndim == 2:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        prob, sx, sy = self.probability_map(image, max_side, upscale)
        mask: Any = cv2.dilate((prob > self.config.threshold).astype(np.uint8), np.ones((2, 2), np.uint8))
        contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
        rects = []
        for cnt in contours:
            if len(cnt) < 4:
                continue
            blob = np.zeros_like(mask)
            x, y, bw, bh = cv2.boundingRect(cnt)
            cv2.drawContours(blob[y : y + bh, x : x + bw], [cnt - [x, y]], -1, 1, -1)
            score = float(prob[y : y + bh, x : x + bw][blob[y : y + bh, x : x + bw] > 0].mean())
            if score < self.config.box_threshold:
                continue
            (cx, cy), (rw, rh), angle = cv2.minAreaRect(cnt)
            if rw < rh:
                rw, rh, angle = rh, rw, angle - 90 if angle > 0 else angle + 90
            area, perim = rw * rh, 2 * (rw + rh)
            d = area * self.config.unclip / max(perim, 1e-6)
            rects.append(((cx, cy), (rw + 2 * d, rh + 2 * d), angle, score))
        rects = _merge_lines(rects)
        out = []
        for (cx, cy), (rw, rh), angle, score in rects:
            rw, rh = rw * (1 + 2 * self.config.grow_x), rh * (1 + 2 * self.config.grow_y)
            pts = cv2.boxPoints(((cx, cy), (rw, rh), angle))
            pts[:, 0] = pts[:, 0] * sx + ox
            pts[:, 1] = pts[:, 1] * sy + oy
            quad = order_quad(pts)
            qw = float(np.linalg.norm(quad[1] - quad[0]))
            qh = float(np.linalg.norm(quad[3] - quad[0]))
            if (
                qh < self.config.min_height
                or not self.config.min_aspect <= qw / max(qh, 1e-6) <= self.config.max_aspect
            ):
                continue
            out.append(PlateCandidate(quad, score))
        out.sort(key=lambda c: -c.score)
        return out[: self.config.max_candidates]


Rect = tuple[tuple[float, float], tuple[float, float], float, float]


def _axis(rect: Rect) -> npt.NDArray[np.float64]:
    """Unit vector along a rectangle's long side (its text line), pointing right."""
    a = np.deg2rad(rect[2])
    u = np.array([np.cos(a), np.sin(a)])
    return u if u[0] >= 0 else -u


def _same_line(a: Rect, b: Rect) -> bool:
    """Whether ``b`` continues ``a``'s text line: similar height and direction, on its axis, close by."""
    (ca, (wa, ha), _, _), (cb, (wb, hb), _, _) = a, b
    if wb / max(hb, 1e-6) > wa / max(ha, 1e-6):  # measure along the more elongated one
        (ca, (wa, ha), _, _), (cb, (wb, hb), _, _), a, b = b, a, b, a
    ua, ub = _axis(a), _axis(b)
    # a single character's blob is nearly square (its angle says nothing) and, grown less by the
    # unclip, shorter than a run of characters
    squareish = wb / max(hb, 1e-6) < 1.5
    if not 0.45 < hb / max(ha, 1e-6) < 2.2:
        return False
    if not squareish and abs(float(ua @ ub)) < np.cos(np.deg2rad(12)):
        return False
    d = np.asarray(cb, dtype=np.float64) - np.asarray(ca, dtype=np.float64)
    along, across = float(d @ ua), abs(float(d @ np.array([-ua[1], ua[0]])))
    gap = abs(along) - (wa + wb) / 2
    # a Moroccan plate's "| letter |" gap spans two to three character heights when the letter is missed
    return across < 0.4 * max(ha, hb) and gap < 2.2 * max(ha, hb)


def _union(rects: list[Rect]) -> Rect:
    """The rotated rectangle around several (long side first), with their mean score."""
    pts = np.vstack([cv2.boxPoints((r[0], r[1], r[2])) for r in rects]).astype(np.float32)
    (cx, cy), (rw, rh), angle = cv2.minAreaRect(pts)
    if rw < rh:
        rw, rh, angle = rh, rw, angle - 90 if angle > 0 else angle + 90
    return ((cx, cy), (rw, rh), angle, float(np.mean([r[3] for r in rects])))


def _merge_lines(rects: list[Rect]) -> list[Rect]:
    """Merge rectangles that continue one another's text line (``57626 | ب | 8`` may come out as three
    blobs), level or tilted: the merged rectangle keeps the line's angle."""
    groups: list[list[Rect]] = []
    for r in sorted(rects, key=lambda r: -r[1][0] * r[1][1]):  # grow from the biggest blobs
        for g in groups:
            if any(_same_line(m, r) for m in g):
                g.append(r)
                break
        else:
            groups.append([r])
    return [g[0] if len(g) == 1 else _union(g) for g in groups]


def widen(quad: Quad, fraction: float) -> Quad:
    """The quad stretched along its own width by ``fraction`` of that width on each side (a localised
    text line hugs its characters; the reader wants a little of the plate beyond the first and last).

    >>> widen(np.array([[10, 10], [110, 10], [110, 40], [10, 40]], np.float32), 0.05).tolist()
    [[5.0, 10.0], [115.0, 10.0], [115.0, 40.0], [5.0, 40.0]]
    """
    q = order_quad(quad)
    top, bottom = (q[1] - q[0]) * fraction, (q[2] - q[3]) * fraction
    out: Quad = np.array([q[0] - top, q[1] + top, q[2] + bottom, q[3] - bottom], np.float32)
    return out


def above(quad: Quad, rows: float, side: float = 0.0) -> Quad:
    """The quad grown upwards by ``rows`` of its own height (along its sides, so a tilted line grows
    with its tilt) and sideways by ``side`` of its width: a square plate's top row over a found line.

    >>> above(np.array([[10, 40], [110, 40], [110, 70], [10, 70]], np.float32), 1.0, 0.1).tolist()
    [[0.0, 10.0], [120.0, 10.0], [120.0, 70.0], [0.0, 70.0]]
    """
    q = order_quad(quad)
    up_left, up_right = (q[0] - q[3]) * rows, (q[1] - q[2]) * rows
    top, bottom = (q[1] - q[0]) * side, (q[2] - q[3]) * side
    out: Quad = np.array(
        [q[0] + up_left - top, q[1] + up_right + top, q[2] + bottom, q[3] - bottom], np.float32
    )
    return out


def rectify(image: Image, quad: Quad, height: int = 64) -> Image:
    """Warp the quad to an upright rectangle ``height`` pixels high (width keeps the plate's aspect).

    >>> img = np.zeros((100, 200, 3), np.uint8)
    >>> rectify(img, np.array([[10, 10], [110, 10], [110, 40], [10, 40]], np.float32)).shape
    (64, 213, 3)
    """
    q = order_quad(quad)
    w = float(max(np.linalg.norm(q[1] - q[0]), np.linalg.norm(q[2] - q[3])))
    h = float(max(np.linalg.norm(q[3] - q[0]), np.linalg.norm(q[2] - q[1])))
    out_w = max(8, round(height * w / max(h, 1e-6)))
    dst = np.array([[0, 0], [out_w - 1, 0], [out_w - 1, height - 1], [0, height - 1]], np.float32)
    m = cv2.getPerspectiveTransform(q, dst)
    out: Image = cv2.warpPerspective(
        image, m, (out_w, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    return out
