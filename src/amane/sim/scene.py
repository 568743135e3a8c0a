"""Synthetic camera scenes: a street, vehicles carrying plates, walking pedestrians, one person who lingers.

Everything is deterministic from the seed and the time ``t``: ``Scene(cfg).render(t)`` always gives the
same pixels and the same ground truth (each actor's box, class, plate text), so tests and benchmarks can
check what the pipeline found. Vehicles are coloured bodies with windows, wheels and a plate (rendered
by the plate helper's renderer when ``amane.vision.plates`` provides one, else plain text on a white
plate); pedestrians are articulated figures whose legs and arms swing as they walk; the lingering person
paces a few metres back and forth and wears a real face (``skimage.data.astronaut()``).

>>> scene = Scene(SceneConfig(width=320, height=180, seed=3))
>>> image, truth = scene.render(1.0)
>>> image.shape, image.dtype.name, len(truth) > 0
((180, 320, 3), 'uint8', True)
>>> bool((scene.render(1.0)[0] == image).all())
True
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont
from pydantic import BaseModel, ConfigDict, Field

Image = npt.NDArray[np.uint8]

PERSON, CAR, MOTORCYCLE = 0, 2, 3
_FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/truetype/noto"),
    Path("/usr/share/fonts/truetype/hosny-amiri"),
)
ARABIC_PLATE_LETTERS = "أبدهوطج"
"""Letters used on Moroccan plates (alif, ba, dal, ha, waw, ta, jim)."""


class SceneConfig(BaseModel):
    """What a synthetic camera sees."""

    model_config = ConfigDict(extra="forbid")
    width: int = Field(1280, ge=64, le=4096)
    height: int = Field(720, ge=48, le=4096)
    seed: int = Field(0, ge=0)
    vehicles: int = Field(3, ge=0, le=20, description="Vehicles driving across")
    pedestrians: int = Field(2, ge=0, le=20, description="People walking across")
    lingerer: bool = Field(True, description="One person pacing on the spot (loitering)")
    face: bool = Field(True, description="The lingerer wears a real face (astronaut photo)")
    plates: list[str] = Field(default_factory=list, description="Plate texts to use first (e.g. hotlisted)")
    period_s: float = Field(12.0, gt=1.0, le=600.0, description="Time for an actor to cross the frame")


@dataclass(frozen=True)
class Truth:
    """Ground truth of one visible actor."""

    actor: int
    class_id: int
    box: tuple[float, float, float, float]
    plate: str | None = None
    lingering: bool = False


@dataclass(frozen=True)
class _Actor:
    kind: int
    lane_y: float  # baseline (feet/wheels) as a fraction of the height
    size: float  # height as a fraction of the height
    speed: float  # frame widths per period, signed
    phase: float
    colour: tuple[int, int, int]
    plate: str | None = None
    lingering: bool = False


@cache
def _font(size: int, arabic: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    names = (
        ("NotoNaskhArabic-Bold.ttf", "Amiri-Bold.ttf", "DejaVuSans-Bold.ttf")
        if arabic
        else ("DejaVuSans-Bold.ttf",)
    )
    for name in names:
        for folder in _FONT_DIRS:
            if (folder / name).is_file():
                return ImageFont.truetype(str(folder / name), size)
    return ImageFont.load_default()


def _colour(rng: random.Random, low: int, high: int) -> tuple[int, int, int]:
    return rng.randint(low, high), rng.randint(low, high), rng.randint(low, high)


def random_plate(rng: random.Random) -> str:
    """A Moroccan-format plate ``serial-letter-region`` (e.g. ``12345-ب-6``)."""
    return f"{rng.randint(1, 99999)}-{rng.choice(ARABIC_PLATE_LETTERS)}-{rng.randint(1, 89)}"


@cache
def plate_image(text: str, height: int) -> Image:
    """A white Moroccan-style plate reading ``text`` (``serial-letter-region``), BGR, ``height`` px tall."""
    height = max(8, height)
    width = int(height * 4.7)
    scale = 4  # draw big, then shrink: smooth glyphs at small sizes
    img = PILImage.new("RGB", (width * scale, height * scale), (245, 245, 245))
    draw = ImageDraw.Draw(img)
    h = height * scale
    draw.rectangle((0, 0, width * scale - 1, h - 1), outline=(0, 0, 0), width=scale * 2)
    parts = text.split("-")
    serial, letter, region = [*parts, "", "", ""][:3] if len(parts) >= 3 else (text, "", "")
    latin, arabic = _font(int(h * 0.62)), _font(int(h * 0.55), arabic=True)
    draw.text((h * 0.18, h * 0.14), serial, fill=(0, 0, 0), font=latin)
    x_sep1, x_sep2 = width * scale * 0.58, width * scale * 0.76
    for x in (x_sep1, x_sep2):
        draw.line((x, h * 0.1, x, h * 0.9), fill=(0, 0, 0), width=scale * 2)
    draw.text((x_sep1 + h * 0.15, h * 0.08), letter, fill=(0, 0, 0), font=arabic)
    draw.text((x_sep2 + h * 0.15, h * 0.14), region, fill=(0, 0, 0), font=latin)
    small = img.resize((width, height), PILImage.Resampling.LANCZOS)
    return np.ascontiguousarray(np.asarray(small, dtype=np.uint8)[:, :, ::-1])


@cache
def _astronaut_face() -> Image:
    from skimage import data  # scikit-image ships the photo: no download

    rgb = np.asarray(data.astronaut(), dtype=np.uint8)  # type: ignore[no-untyped-call]
    face = rgb[40:220, 160:320]  # head and shoulders of the astronaut
    return np.ascontiguousarray(face[:, :, ::-1])


def _street(width: int, height: int, rng: random.Random) -> Image:
    img = np.zeros((height, width, 3), np.uint8)
    horizon = int(height * 0.42)
    sky = np.linspace(235, 170, horizon, dtype=np.float32)[:, None]
    img[:horizon] = np.stack([sky, sky * 0.92, sky * 0.75], axis=-1).astype(np.uint8)  # BGR: blueish
    x = 0
    while x < width:  # buildings
        bw = rng.randint(width // 14, width // 6)
        top = rng.randint(int(height * 0.08), int(height * 0.3))
        colour = tuple(rng.randint(110, 210) for _ in range(3))
        cv2.rectangle(img, (x, top), (x + bw, horizon + height // 10), colour, -1)
        for wy in range(top + 8, horizon, max(6, height // 24)):
            for wx in range(x + 6, x + bw - 8, max(8, width // 48)):
                cv2.rectangle(
                    img, (wx, wy), (wx + max(3, width // 160), wy + max(3, height // 90)), (90, 80, 70), -1
                )
        x += bw + rng.randint(0, width // 40)
    sidewalk = int(height * 0.55)
    img[horizon + height // 10 : sidewalk] = (150, 155, 160)
    img[sidewalk:] = (72, 70, 68)
    for lx in range(0, width, max(20, width // 10)):  # lane markings
        cv2.rectangle(
            img,
            (lx, int(height * 0.8)),
            (lx + width // 20, int(height * 0.8) + max(2, height // 120)),
            (230, 230, 230),
            -1,
        )
    noise = np.random.default_rng(rng.randint(0, 2**31)).integers(-6, 7, img.shape, dtype=np.int16)
    out: Image = np.clip(img.astype(np.int16) + noise, 0, 255).astype(np.uint8)
    return out


class Scene:
    """A deterministic street scene; ``render(t)`` gives the image and the ground truth at time ``t``."""

    def __init__(self, config: SceneConfig) -> None:
        self.config = config
        rng = random.Random(config.seed)
        self.background = _street(config.width, config.height, rng)
        actors: list[_Actor] = []
        plates = list(config.plates)
        for i in range(config.vehicles):
            kind = MOTORCYCLE if rng.random() < 0.25 else CAR
            plate = plates.pop(0) if plates else random_plate(rng)
            actors.append(
                _Actor(
                    kind,
                    rng.uniform(0.74, 0.95),
                    rng.uniform(0.2, 0.3) if kind == CAR else rng.uniform(0.16, 0.22),
                    rng.choice((-1, 1)) * rng.uniform(0.6, 1.4),
                    rng.random() + i * 0.37,
                    _colour(rng, 20, 230),
                    plate,
                )
            )
        for i in range(config.pedestrians):
            actors.append(
                _Actor(
                    PERSON,
                    rng.uniform(0.56, 0.66),
                    rng.uniform(0.26, 0.34),
                    rng.choice((-1, 1)) * rng.uniform(0.25, 0.45),
                    rng.random() + i * 0.5,
                    _colour(rng, 20, 200),
                )
            )
        if config.lingerer:
            actors.append(_Actor(PERSON, 0.62, 0.4, 0.0, rng.random(), (40, 40, 150), lingering=True))
        self.actors = actors

    def _x(self, actor: _Actor, t: float, w_px: float) -> float:
        width = self.config.width
        if actor.lingering:  # paces back and forth around the middle third
            return width * (0.55 + 0.06 * math.sin(2 * math.pi * (t / 9.0 + actor.phase))) - w_px / 2
        span = width + 2 * w_px
        u = (actor.phase + t * actor.speed / self.config.period_s) % 1.0
        pos = u * span - w_px
        return pos if actor.speed > 0 else width - pos - w_px

    def render(self, t: float) -> tuple[Image, list[Truth]]:
        """The frame at time ``t`` seconds and the boxes of the actors visible in it."""
        img = self.background.copy()
        truth: list[Truth] = []
        h, w = self.config.height, self.config.width
        for index, actor in sorted(enumerate(self.actors), key=lambda a: a[1].lane_y):
            ah = actor.size * h
            aw = ah * (0.42 if actor.kind == PERSON else 2.2 if actor.kind == CAR else 1.3)
            x1 = self._x(actor, t, aw)
            y2 = actor.lane_y * h
            box = (x1, y2 - ah, x1 + aw, y2)
            if box[2] <= 0 or box[0] >= w:
                continue
            if actor.kind == PERSON:
                self._person(img, box, actor, t)
            else:
                self._vehicle(img, box, actor)
            clipped = (max(0.0, box[0]), max(0.0, box[1]), min(float(w), box[2]), min(float(h), box[3]))
            truth.append(Truth(index, actor.kind, clipped, actor.plate, actor.lingering))
        return img, truth

    def _vehicle(self, img: Image, box: tuple[float, float, float, float], actor: _Actor) -> None:
        x1, y1, x2, y2 = (int(v) for v in box)
        bh = y2 - y1
        colour = actor.colour
        if actor.kind == CAR:
            cv2.rectangle(img, (x1, y1 + bh // 3), (x2, y2 - bh // 6), colour, -1)
            cv2.rectangle(img, (x1 + (x2 - x1) // 5, y1), (x2 - (x2 - x1) // 5, y1 + bh // 3), colour, -1)
            cv2.rectangle(
                img,
                (x1 + (x2 - x1) // 4, y1 + bh // 12),
                (x2 - (x2 - x1) // 4, y1 + bh // 3),
                (60, 50, 40),
                -1,
            )
        else:
            cv2.rectangle(
                img, (x1 + (x2 - x1) // 4, y1 + bh // 4), (x2 - (x2 - x1) // 4, y2 - bh // 4), colour, -1
            )
            cv2.circle(img, ((x1 + x2) // 2, y1 + bh // 8), max(2, bh // 8), (30, 30, 30), -1)  # rider helmet
        r = max(2, bh // 7)
        for cx in (x1 + (x2 - x1) // 5, x2 - (x2 - x1) // 5):
            cv2.circle(img, (cx, y2 - r), r, (25, 25, 25), -1)
        if actor.plate:
            plate = plate_image(actor.plate, max(8, bh // 5))
            ph, pw = plate.shape[:2]
            px, py = (x1 + x2) // 2 - pw // 2, y2 - bh // 6 - ph - 2
            _paste(img, plate, px, py)

    def _person(self, img: Image, box: tuple[float, float, float, float], actor: _Actor, t: float) -> None:
        x1, y1, x2, y2 = box
        h = y2 - y1
        cx = (x1 + x2) / 2
        swing = (
            0.0
            if actor.speed == 0 and not actor.lingering
            else math.sin(2 * math.pi * (t * 1.6 + actor.phase))
        )
        head_r = h * 0.08
        neck = (cx, y1 + 2 * head_r)
        hip = (cx, y1 + h * 0.52)
        thick = max(2, int(h * 0.07))
        colour = actor.colour
        for sign in (1, -1):  # legs and arms swing in opposite phase
            angle = 0.45 * swing * sign
            knee = (hip[0] + math.sin(angle) * h * 0.24, hip[1] + math.cos(angle) * h * 0.24)
            foot = (knee[0] + math.sin(angle * 0.6) * h * 0.24, min(y2 - thick / 2 - 1, knee[1] + h * 0.24))
            _line(img, hip, knee, (50, 45, 60), thick)
            _line(img, knee, foot, (50, 45, 60), thick)
            hand = (neck[0] - math.sin(angle) * h * 0.3, neck[1] + h * 0.32)
            _line(img, (neck[0], neck[1] + h * 0.04), hand, colour, max(2, thick - 1))
        _line(img, neck, hip, colour, int(thick * 2.2))
        if actor.lingering and self.config.face:
            face = _astronaut_face()
            size = max(8, int(head_r * 2.6))
            patch = np.asarray(cv2.resize(face, (size, int(size * face.shape[0] / face.shape[1]))), np.uint8)
            _paste(img, patch, int(cx - patch.shape[1] / 2), int(y1))
        else:
            cv2.circle(img, (int(cx), int(y1 + head_r)), max(2, int(head_r)), (140, 170, 205), -1)


def _line(
    img: Image, a: tuple[float, float], b: tuple[float, float], colour: tuple[int, int, int], thickness: int
) -> None:
    cv2.line(img, (int(a[0]), int(a[1])), (int(b[0]), int(b[1])), colour, thickness, cv2.LINE_AA)


def _paste(img: Image, patch: Image, x: int, y: int) -> None:
    """Copy ``patch`` into ``img`` at (x, y), clipped to the image."""
    h, w = img.shape[:2]
    ph, pw = patch.shape[:2]
    xa, ya, xb, yb = max(0, x), max(0, y), min(w, x + pw), min(h, y + ph)
    if xa < xb and ya < yb:
        img[ya:yb, xa:xb] = patch[ya - y : yb - y, xa - x : xb - x]
