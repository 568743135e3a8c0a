"""The motion gate: the cheap first stage that tells the detector where (and whether) anything moved.

It works on a small grey copy of the frame (``width`` pixels wide, ~0.3 ms for 1280x720 at 320 px),
compares it with a running-average background (or an OpenCV MOG2 model), and returns the boxes of the
moving regions in full-resolution pixels. A still scene returns ``[]``, so the detector need not run.

>>> gate = MotionGate(MotionConfig(warmup_frames=1))
>>> still = np.full((360, 640, 3), 90, np.uint8)
>>> gate.update(still), gate.update(still)
([], [])
>>> moved = still.copy(); moved[100:220, 300:360] = 250
>>> [tuple(round(v) for v in box) for box in gate.update(moved)]
[(289, 83, 371, 237)]
"""

from __future__ import annotations

import logging
from typing import Any, Literal

import cv2
import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

logger = logging.getLogger(__name__)

Box = tuple[float, float, float, float]
U8 = npt.NDArray[np.uint8]
MOG2_RATE_FACTOR = 0.2
"""MOG2 learns at this fraction of ``learning_rate`` (it models several modes and needs more memory)."""


def _u8(array: Any) -> U8:
    """An OpenCV result as a typed uint8 array (no copy when it already is one)."""
    return np.asarray(array, dtype=np.uint8)


class MotionConfig(BaseModel):
    """Settings of the motion gate."""

    model_config = ConfigDict(extra="forbid")

    method: Literal["average", "mog2"] = Field(
        "average",
        description="'average': difference against a running-average background (cheapest); "
        "'mog2': OpenCV's Gaussian-mixture background model (handles flicker and swaying trees better).",
    )
    width: int = Field(
        320, ge=32, le=1920, description="Width of the downscaled grey frame the gate works on."
    )
    threshold: int = Field(
        20,
        ge=1,
        le=255,
        description="Grey-level difference that counts as change ('average'), or MOG2's variance threshold.",
    )
    min_area: float = Field(
        0.0008,
        ge=0.0,
        le=1.0,
        description="Smallest moving region, as a fraction of the frame area (drops noise and leaves).",
    )
    learning_rate: float = Field(
        0.05, gt=0.0, le=1.0, description="How fast the background absorbs a change (per frame)."
    )
    shadows: bool = Field(
        True,
        description="'mog2' only: leave out cast shadows (darker, same colour), so a person's box is "
        "not widened by their shadow.",
    )
    foreground_rate: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description="'average' only: background learning under changed pixels, as a fraction of "
        "learning_rate. 0 keeps passers-by out of the background (no trail behind them); 1 is a plain "
        "running average (a fast mover leaves a fading trail).",
    )
    absorb_frames: int = Field(
        30,
        ge=1,
        le=10_000,
        description="'average' only: a pixel changed for this many frames in a row is taken into the "
        "background at the normal rate (a car that parked, the ghost a departed object left behind).",
    )
    dilate: int = Field(
        1,
        ge=0,
        le=10,
        description="Dilation passes that join the parts of one moving object into one region.",
    )
    padding: float = Field(
        0.1,
        ge=0.0,
        le=1.0,
        description="Grow each region by this fraction of its "
        "size on each side (the detector sees some context).",
    )
    warmup_frames: int = Field(
        5, ge=0, le=1000, description="Frames used to learn the background before any motion is reported."
    )
    stabilise: bool = Field(
        False,
        description="'average' only: cancel camera shake (a vehicle-mounted camera on an idling engine, "
        "wind) by aligning each frame to the background with phase correlation before differencing. "
        "Costs about 1.2 ms a frame at width 320; pure translation, so it does not help while driving.",
    )
    max_shake: float = Field(
        0.04,
        gt=0.0,
        le=0.25,
        description="Largest shake corrected, as a fraction of the gate width (bigger shifts are real "
        "camera moves and fall to max_moving_fraction).",
    )
    max_moving_fraction: float = Field(
        0.6,
        gt=0.0,
        le=1.0,
        description="If more of the frame than this "
        "changes at once (light switched, camera bumped), relearn the "
        "background and report one full-frame region.",
    )


class MotionGate:
    """Moving regions of successive frames of one camera (keep one gate per camera)."""

    def __init__(self, config: MotionConfig | None = None) -> None:
        self.config = config or MotionConfig()
        self._background: npt.NDArray[np.float32] | None = None
        self._mog: cv2.BackgroundSubtractorMOG2 | None = None
        self._shape: tuple[int, ...] = ()
        self._changed_for: npt.NDArray[np.uint16] | None = None
        self._window: npt.NDArray[np.float32] | None = None
        self._frames = 0
        self._kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
        self.last_mask: npt.NDArray[np.uint8] | None = None
        """The last foreground mask at the gate's resolution (for debugging and the classical detector)."""
        self.last_scale = 1.0
        """Full-resolution pixels per gate pixel of the last frame."""

    def reset(self) -> None:
        """Forget the background (e.g. after the camera moved or the source reconnected)."""
        self._background = None
        self._mog = None
        self._frames = 0
        self._changed_for = None

    def update(self, image: npt.NDArray[np.uint8]) -> list[Box]:
        """Feed the next frame; return the moving regions as ``xyxy`` boxes in ``image`` pixels."""
        cfg = self.config
        if image.shape != self._shape:  # a camera that came back at another resolution
            self.reset()
            self._shape = image.shape
        h, w = image.shape[:2]
        scale = w / cfg.width if w > cfg.width else 1.0
        small_size = (max(1, round(w / scale)), max(1, round(h / scale)))
        small = cv2.resize(image, small_size, interpolation=cv2.INTER_LINEAR) if scale != 1.0 else image
        grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY) if small.ndim == 3 else small
        grey = _u8(cv2.GaussianBlur(grey, (5, 5), 0))
        if cfg.stabilise:
            grey = self._align(grey)
        mask = self._foreground(grey)
        self._frames += 1
        self.last_scale = scale
        if self._frames <= cfg.warmup_frames:
            self.last_mask = np.zeros_like(mask)
            return []
        if cfg.dilate:
            mask = _u8(cv2.dilate(mask, self._kernel, iterations=cfg.dilate))
        self.last_mask = mask
        moving = float(np.count_nonzero(mask)) / mask.size
        if moving > cfg.max_moving_fraction:
            logger.debug("%.0f%% of the frame changed: relearning the background", 100 * moving)
            self.reset()
            return [(0.0, 0.0, float(w), float(h))]
        return self._regions(mask, scale, w, h)

    def _align(self, grey: U8) -> U8:
        """``grey`` shifted to line up with the background (phase correlation), when the shift is a shake."""
        if (
            self._background is None
            or self._background.shape != grey.shape
            or self.config.method != "average"
        ):
            return grey
        h, w = grey.shape
        if self._window is None or self._window.shape != grey.shape:
            self._window = np.asarray(cv2.createHanningWindow((w, h), cv2.CV_32F), np.float32)
        # copies: with a window, OpenCV's phaseCorrelate writes the windowed images into its inputs
        (dx, dy), response = cv2.phaseCorrelate(
            self._background.copy(), grey.astype(np.float32), self._window
        )
        limit = self.config.max_shake * w
        if response < 0.1 or max(abs(dx), abs(dy)) > limit or max(abs(dx), abs(dy)) < 0.25:
            return grey
        shift = np.array([[1.0, 0.0, -dx], [0.0, 1.0, -dy]], dtype=np.float32)
        return _u8(cv2.warpAffine(grey, shift, (w, h), borderMode=cv2.BORDER_REPLICATE))

    def _foreground(self, grey: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
        cfg = self.config
        if cfg.method == "mog2":
            if self._mog is None:
                self._mog = cv2.createBackgroundSubtractorMOG2(
                    history=200, varThreshold=cfg.threshold, detectShadows=cfg.shadows
                )
            # MOG2 keeps several modes per pixel and needs a longer memory than a running average
            fg = self._mog.apply(grey, learningRate=cfg.learning_rate * MOG2_RATE_FACTOR)
            return _u8(cv2.threshold(fg, 127, 255, cv2.THRESH_BINARY)[1])
        if self._background is None or self._background.shape != grey.shape:
            self._background = grey.astype(np.float32)
            return np.zeros_like(grey)
        diff = cv2.absdiff(grey, cv2.convertScaleAbs(self._background))
        mask = _u8(cv2.threshold(diff, cfg.threshold, 255, cv2.THRESH_BINARY)[1])
        if self._frames < cfg.warmup_frames:
            cv2.accumulateWeighted(grey, self._background, 0.5)
        elif cfg.foreground_rate == 1.0:
            cv2.accumulateWeighted(grey, self._background, cfg.learning_rate)
        else:
            # selective update: the background learns where nothing changed, and under a change only
            # once it has lasted absorb_frames (parked car, ghost); passers-by leave no trail
            if self._changed_for is None or self._changed_for.shape != mask.shape:
                self._changed_for = np.zeros(mask.shape, np.uint16)
            self._changed_for = np.where(mask > 0, np.minimum(self._changed_for + 1, 60_000), 0).astype(
                np.uint16
            )
            learn = _u8(np.where((mask == 0) | (self._changed_for >= cfg.absorb_frames), 255, 0))
            cv2.accumulateWeighted(grey, self._background, cfg.learning_rate, mask=learn)
            if cfg.foreground_rate > 0:
                slow = cfg.learning_rate * cfg.foreground_rate
                cv2.accumulateWeighted(grey, self._background, slow, mask=cv2.bitwise_not(learn))
        return mask

    def _regions(self, mask: npt.NDArray[np.uint8], scale: float, w: int, h: int) -> list[Box]:
        cfg = self.config
        n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        min_px = cfg.min_area * mask.size
        boxes: list[Box] = []
        for x, y, bw, bh, area in stats[1:n]:
            if area < min_px:
                continue
            px, py = bw * cfg.padding, bh * cfg.padding
            boxes.append(
                (
                    max(0.0, (x - px) * scale),
                    max(0.0, (y - py) * scale),
                    min(float(w), (x + bw + px) * scale),
                    min(float(h), (y + bh + py) * scale),
                )
            )
        return boxes
