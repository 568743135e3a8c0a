"""Evidence images for browser tests: a plausible camera snapshot with the hit boxed."""

from __future__ import annotations

import io
import random
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/truetype/noto"))


@cache
def _font(name: str, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for folder in _FONT_DIRS:
        path = folder / name
        if path.is_file():
            return ImageFont.truetype(str(path), size)
    return ImageFont.load_default()


def _street(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    w, h = size
    img = Image.new("RGB", size, (70, 78, 88))
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, w, h // 3), fill=(120 + rng.randint(0, 40), 150, 180))
    for x in range(0, w, rng.randint(60, 90)):
        top = rng.randint(h // 8, h // 3)
        draw.rectangle(
            (x, top, x + rng.randint(40, 80), h // 2), fill=tuple(rng.randint(120, 200) for _ in range(3))
        )
    draw.polygon([(0, h), (w, h), (w * 0.62, h // 2), (w * 0.38, h // 2)], fill=(55, 58, 62))
    for y in range(h // 2 + 10, h, 40):
        draw.line((w // 2, y, w // 2, y + 18), fill=(230, 230, 230), width=3)
    return img


def plate_snapshot(plate_text: tuple[str, str, str], seed: int, size: tuple[int, int] = (640, 360)) -> bytes:
    """A JPEG of a car whose Moroccan plate reads ``serial | letter | region``, boxed in red."""
    rng = random.Random(seed)
    img = _street(rng, size)
    draw = ImageDraw.Draw(img)
    w, h = size
    cx, cy = w // 2 + rng.randint(-80, 80), int(h * 0.7)
    colour = tuple(rng.randint(20, 230) for _ in range(3))
    draw.rounded_rectangle((cx - 120, cy - 90, cx + 120, cy + 40), radius=18, fill=colour)
    draw.rectangle((cx - 95, cy - 80, cx + 95, cy - 35), fill=(30, 40, 50))
    px1, py1, px2, py2 = cx - 70, cy - 5, cx + 70, cy + 25
    draw.rectangle((px1, py1, px2, py2), fill=(245, 245, 245), outline=(0, 0, 0))
    serial, letter, region = plate_text
    latin = _font("DejaVuSans-Bold.ttf", 18)
    arabic = _font("NotoNaskhArabic-Bold.ttf", 18)
    draw.text((px1 + 6, py1 + 4), serial, fill=(0, 0, 0), font=latin)
    draw.line((px1 + 78, py1 + 3, px1 + 78, py2 - 3), fill=(0, 0, 0), width=2)
    draw.text((px1 + 86, py1 + 1), letter, fill=(0, 0, 0), font=arabic)
    draw.line((px1 + 108, py1 + 3, px1 + 108, py2 - 3), fill=(0, 0, 0), width=2)
    draw.text((px1 + 115, py1 + 4), region, fill=(0, 0, 0), font=latin)
    draw.rectangle((px1 - 4, py1 - 4, px2 + 4, py2 + 4), outline=(255, 40, 40), width=3)
    return _jpeg(img)


def person_snapshot(label: str, seed: int, size: tuple[int, int] = (640, 360)) -> bytes:
    """A JPEG of a pedestrian boxed in red with a label (behaviour alarms)."""
    rng = random.Random(seed)
    img = _street(rng, size)
    draw = ImageDraw.Draw(img)
    w, h = size
    x, y = rng.randint(w // 5, 4 * w // 5), int(h * 0.55)
    coat = tuple(rng.randint(20, 200) for _ in range(3))
    draw.ellipse((x - 12, y - 70, x + 12, y - 46), fill=(200, 160, 130))
    draw.rectangle((x - 18, y - 46, x + 18, y + 10), fill=coat)
    draw.rectangle((x - 16, y + 10, x - 3, y + 60), fill=(40, 40, 60))
    draw.rectangle((x + 3, y + 10, x + 16, y + 60), fill=(40, 40, 60))
    draw.rectangle((x - 28, y - 78, x + 28, y + 66), outline=(255, 40, 40), width=3)
    draw.text((x - 28, y - 98), label, fill=(255, 255, 255), font=_font("DejaVuSans-Bold.ttf", 14))
    return _jpeg(img)


def _jpeg(img: Image.Image) -> bytes:
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=85)
    return out.getvalue()
