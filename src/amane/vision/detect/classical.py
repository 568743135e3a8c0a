"""``classical``: the default detector, needing no downloaded model.

Moving blobs (from the motion gate) are classified by size and shape: tall blobs are people, wide
and large ones vehicles. OpenCV's HOG people detector (Dalal-Triggs, shipped inside OpenCV) then
looks inside the larger moving regions, at reduced resolution, to confirm people and to split groups;
a confirmed person replaces the blob it lies in. Everything runs on moving regions only, so a still
scene costs nothing and a busy one stays cheap (``hog_max_regions`` caps the HOG work per frame).

Limits: blob classes are guesses from shape (a cyclist and a pedestrian look alike; a slow car seen
head-on is not wide); when the vehicle itself drives, the whole frame moves and only HOG is left.
Configure ``onnx-yolo`` with a real detector for that.

Keep one instance per camera when calling without ``regions`` (it then runs its own motion gate).

>>> rng = np.random.default_rng(0)
>>> street = np.kron(rng.integers(60, 140, (45, 80, 3), dtype=np.uint8), np.ones((16, 16, 1), np.uint8))
>>> detector = ClassicalDetector(ClassicalDetectorConfig(motion=MotionConfig(warmup_frames=2)))
>>> for step in range(6):   # a tall figure walks right
...     frame = street.copy()
...     frame[200:330, 300 + 10 * step : 345 + 10 * step] = (40, 200, 230)
...     found = detector.detect(frame)
>>> found.class_id.tolist(), bool(found.confidence[0] >= 0.5)
([0], True)
"""

from __future__ import annotations

import logging
import math
from typing import Literal

import cv2
import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from amane.core.detections import Detections
from amane.vision.detect.base import CAR, PERSON, Box, Image, apply_nms
from amane.vision.motion import MotionConfig, MotionGate

logger = logging.getLogger(__name__)

HOG_WINDOW_HEIGHT = 128
"""The default OpenCV people detector's window is 64x128 pixels: a person must be about 96+ px tall."""


class ClassicalDetectorConfig(BaseModel):
    """Motion blobs classified by shape, plus the OpenCV HOG people detector on moving regions."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["classical"] = "classical"
    motion: MotionConfig = Field(
        default_factory=MotionConfig,
        description="The gate used when detect() "
        "is called without regions (and whose padding is undone on given regions).",
    )
    person_min_aspect: float = Field(
        1.3, gt=0.0, le=10.0, description="Blobs at least this many times taller than wide are people."
    )
    vehicle_min_aspect: float = Field(
        1.1,
        gt=0.0,
        le=10.0,
        description="Blobs at least this many times wider than tall (and large enough) are vehicles.",
    )
    vehicle_min_area: float = Field(
        0.004, ge=0.0, le=1.0, description="Smallest vehicle blob, as a fraction of the frame area."
    )
    max_blob_area: float = Field(
        0.35,
        gt=0.0,
        le=1.0,
        description="Blobs larger than this fraction of the frame are not taken as objects (a light "
        "change or a camera bump changes the whole frame); HOG still looks inside them.",
    )
    blob_confidence: float = Field(
        0.65,
        ge=0.0,
        le=1.0,
        description="Confidence of a shape-classified "
        "blob (above the tracker's new-track threshold, so it can start a track).",
    )
    ambiguous_confidence: float = Field(
        0.3,
        ge=0.0,
        le=1.0,
        description="Confidence of a blob of unclear shape (only continues existing tracks).",
    )
    hog: bool = Field(True, description="Run the HOG people detector on moving regions.")
    hog_max_regions: int = Field(
        1,
        ge=0,
        le=64,
        description="At most this many regions get HOG per frame (taken in turn, largest first, so "
        "every moving region is examined every few frames at a bounded cost per frame).",
    )
    hog_min_height: int = Field(
        48,
        ge=16,
        le=2000,
        description="Regions lower than this (full-resolution "
        "pixels) are too small for HOG and keep the shape classification.",
    )
    hog_max_pixels: int = Field(
        80_000,
        ge=10_000,
        le=4_000_000,
        description="Each HOG crop is scaled down to at most this many pixels (bounds the cost).",
    )
    hog_threshold: float = Field(0.3, ge=-5.0, le=5.0, description="HOG SVM margin needed for a person.")
    nms_iou: float = Field(
        0.45, ge=0.0, le=1.0, description="IoU above which overlapping boxes of one class are merged."
    )


def _unpad(box: Box, padding: float) -> Box:
    """Undo the motion gate's padding (it grew each side by ``padding`` times the size)."""
    x1, y1, x2, y2 = box
    f = padding / (1.0 + 2.0 * padding)
    dw, dh = (x2 - x1) * f, (y2 - y1) * f
    return x1 + dw, y1 + dh, x2 - dw, y2 - dh


class ClassicalDetector:
    """Shape-classified motion blobs plus HOG people on moving regions."""

    def __init__(self, config: ClassicalDetectorConfig | None = None) -> None:
        self.config = config or ClassicalDetectorConfig()
        self._gate = MotionGate(self.config.motion)
        self._calls = 0
        self._hog = cv2.HOGDescriptor()
        self._hog.setSVMDetector(np.asarray(cv2.HOGDescriptor.getDefaultPeopleDetector(), np.float32))

    def detect(self, image: Image, regions: list[Box] | None = None) -> Detections:
        """People and vehicles in the moving parts of ``image`` (COCO ids 0 and 2)."""
        if regions is None:
            regions = self._gate.update(image)
        if not regions:
            return Detections.empty()
        h, w = image.shape[:2]
        regions = [r for r in regions if r[2] > r[0] and r[3] > r[1]]
        if not regions:
            return Detections.empty()
        blobs = [_unpad(r, self.config.motion.padding) for r in regions]
        blob_dets = self._classify_blobs(blobs, w * h)
        hog_dets = self._hog_people(image, regions)
        blob_dets = self._replace_confirmed(blob_dets, hog_dets, np.asarray(regions, dtype=np.float64))
        merged = Detections.merge([hog_dets, blob_dets[blob_dets.confidence > 0]])
        return apply_nms(merged, self.config.nms_iou)

    def _classify_blobs(self, blobs: list[Box], frame_area: int) -> Detections:
        cfg = self.config
        boxes, scores, classes = [], [], []
        for x1, y1, x2, y2 in blobs:
            bw, bh = max(x2 - x1, 1e-6), max(y2 - y1, 1e-6)
            if bw * bh > cfg.max_blob_area * frame_area:
                cls, score = PERSON, 0.0  # kept in place (indices follow the regions), never reported
            elif bh / bw >= cfg.person_min_aspect:
                cls, score = PERSON, cfg.blob_confidence
            elif bw / bh >= cfg.vehicle_min_aspect and bw * bh >= cfg.vehicle_min_area * frame_area:
                cls, score = CAR, cfg.blob_confidence
            else:
                cls = PERSON if bh >= bw else CAR
                score = cfg.ambiguous_confidence
            boxes.append((x1, y1, x2, y2))
            scores.append(score)
            classes.append(cls)
        if not boxes:
            return Detections.empty()
        return Detections(np.array(boxes), np.array(scores), np.array(classes))

    def _hog_people(self, image: Image, regions: list[Box]) -> Detections:
        """HOG on up to ``hog_max_regions`` regions (in turn, largest first); the people found."""
        cfg = self.config
        if not cfg.hog or cfg.hog_max_regions == 0:
            return Detections.empty()
        order = sorted(
            range(len(regions)),
            key=lambda i: -(regions[i][2] - regions[i][0]) * (regions[i][3] - regions[i][1]),
        )
        self._calls += 1
        turn = self._calls % len(order)
        order = order[turn:] + order[:turn]
        found: list[Detections] = []
        for i in order:
            if len(found) >= cfg.hog_max_regions:
                break
            if regions[i][3] - regions[i][1] >= cfg.hog_min_height:
                found.append(self._hog_region(image, regions[i]))
        return Detections.merge(found)

    def _hog_region(self, image: Image, region: Box) -> Detections:
        cfg = self.config
        h, w = image.shape[:2]
        x1, y1, x2, y2 = region
        # HOG needs some margin around a person: grow the crop by a quarter of the window
        my = (y2 - y1) * 0.15
        mx = max((x2 - x1) * 0.15, (y2 - y1) * 0.2)
        xa, ya = max(0, int(x1 - mx)), max(0, int(y1 - my))
        xb, yb = min(w, math.ceil(x2 + mx)), min(h, math.ceil(y2 + my))
        crop = image[ya:yb, xa:xb]
        ch, cw = crop.shape[:2]
        if ch < 8 or cw < 8:  # a region (nearly) outside the image
            return Detections.empty()
        # scale so the region is at least one window tall, and the crop not bigger than hog_max_pixels
        up = (HOG_WINDOW_HEIGHT * 1.15) / max(1.0, (y2 - y1))
        down = math.sqrt(cfg.hog_max_pixels / max(1, ch * cw))
        scale = min(max(up, 0.0), down) if up > 1 else min(1.0, down)
        if ch * scale < HOG_WINDOW_HEIGHT or cw * scale < 64:
            scale = max(HOG_WINDOW_HEIGHT / ch, 64 / cw)
        resized = cv2.resize(
            crop,
            (max(64, round(cw * scale)), max(HOG_WINDOW_HEIGHT, round(ch * scale))),
            interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR,
        )
        rects, weights = self._hog.detectMultiScale(
            resized, hitThreshold=cfg.hog_threshold, winStride=(8, 8), padding=(8, 8), scale=1.1
        )
        if len(rects) == 0:
            return Detections.empty()
        sx = crop.shape[1] / resized.shape[1]
        sy = crop.shape[0] / resized.shape[0]
        r = np.asarray(rects, dtype=np.float64).reshape(-1, 4)
        # the HOG window has ~1/8 margin around the person on each side: trim it
        xyxy = np.stack(
            [
                r[:, 0] + r[:, 2] * 0.125,
                r[:, 1] + r[:, 3] * 0.07,
                r[:, 0] + r[:, 2] * 0.875,
                r[:, 1] + r[:, 3] * 0.93,
            ],
            axis=1,
        )
        xyxy = xyxy * np.array([sx, sy, sx, sy]) + np.array([xa, ya, xa, ya])
        margin = np.asarray(weights, dtype=np.float64).reshape(-1)
        confidence = 1.0 / (1.0 + np.exp(-2.0 * margin))
        return Detections(xyxy, confidence, np.full(len(xyxy), PERSON))

    @staticmethod
    def _replace_confirmed(
        blobs: Detections, people: Detections, regions: npt.NDArray[np.float64]
    ) -> Detections:
        """Drop the person blobs in which HOG found people (their HOG boxes replace them, one per person)."""
        if len(blobs) == 0 or len(people) == 0:
            return blobs
        centres = people.center
        keep = np.ones(len(blobs), dtype=bool)
        for i, (x1, y1, x2, y2) in enumerate(regions):
            if blobs.class_id[i] != PERSON:
                continue
            inside = (
                (centres[:, 0] >= x1) & (centres[:, 0] <= x2) & (centres[:, 1] >= y1) & (centres[:, 1] <= y2)
            )
            keep[i] = not inside.any()
        return blobs[keep]
