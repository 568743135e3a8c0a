"""Synthetic licence plates for training the recogniser: Moroccan, EU, Brazilian and US-like layouts.

Depends on numpy, OpenCV and Pillow only (it also runs on a bare training machine). Fonts come from
the Debian packages fonts-noto-core, fonts-hosny-amiri and fonts-dejavu-core; the narrow DIN-like
faces that real plates use come from fonts-opendin, fonts-roboto-unhinted (Roboto Condensed) and
fonts-bebas-neue, and fonts-liberation and fonts-kacst are used when present; extra folders can be
named in ``AMANE_FONT_DIRS`` (``:``-separated).

>>> import numpy as np
>>> r = PlateRenderer(np.random.default_rng(0))
>>> img, text = r.sample()
>>> img.shape, img.dtype, len(text) > 0
((32, 128), dtype('uint8'), True)
"""

from __future__ import annotations

import os
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from amane.vision.plates import relief
from amane.vision.plates.din_digits import DinFace

Grey = npt.NDArray[np.uint8]
INPUT_H, INPUT_W = 32, 128
"""Recogniser input size (grey, height x width)."""

_FONT_DIRS = ["/usr/share/fonts/truetype", "/usr/share/fonts/opentype"]
_LATIN_FONTS = [
    "DejaVuSansCondensed-Bold.ttf",
    "DejaVuSansCondensed.ttf",
    "DejaVuSans-Bold.ttf",
    "DejaVuSansMono-Bold.ttf",
    "DejaVuSansMono.ttf",
    "LiberationSansNarrow-Bold.ttf",
    "LiberationSansNarrow-Regular.ttf",
    "LiberationSans-Bold.ttf",
    "LiberationMono-Bold.ttf",
    "NotoSans-Bold.ttf",
    "NotoSans-Regular.ttf",
    "NotoSansDisplay-Bold.ttf",
]
# Narrow DIN 1451-like faces: Moroccan (and most European) plates are set in such a face.
_PLATE_FONTS = [
    "OSP-DIN.ttf",
    "RobotoCondensed-Regular.ttf",
    "RobotoCondensed-Medium.ttf",
    "RobotoCondensed-Bold.ttf",
    "RobotoCondensed-Light.ttf",
    "BebasNeue-Regular.otf",
    "BebasNeue-Book.otf",
    "BebasNeue-Bold.otf",
    "LiberationSansNarrow-Regular.ttf",
    "DejaVuSansCondensed.ttf",
]
_ARABIC_FONTS = [
    "NotoSansArabic-Regular.ttf",
    "NotoSansArabic-Bold.ttf",
    "NotoNaskhArabic-Regular.ttf",
    "NotoNaskhArabic-Bold.ttf",
    "NotoKufiArabic-Regular.ttf",
    "NotoKufiArabic-Bold.ttf",
    "Amiri-Regular.ttf",
    "Amiri-Bold.ttf",
    "KacstOne.ttf",
    "KacstOne-Bold.ttf",
]
_EU_CODES = ["D", "SK", "F", "NL", "CZ", "PL", "I", "E", "B", "A", "H", "RO", "P", "S", "LT", "SLO", "HR"]
_BR_CITIES = ["SAO PAULO", "RIO DE JANEIRO", "CURITIBA", "BELO HORIZONTE", "PORTO ALEGRE", "CAMPINAS"]
_US_STATES = ["CALIFORNIA", "TEXAS", "FLORIDA", "NEW YORK", "OHIO", "ILLINOIS", "ARIZONA", "NEVADA"]
# Letters as they occur on the road: the six series letters, the police letter rarely.
_MA_WEIGHTS = {"أ": 5.0, "ب": 4.0, "د": 3.0, "ه": 4.0, "و": 3.0, "ط": 1.5, "ش": 1.0}


def find_fonts(names: list[str]) -> list[Path]:
    """The font files among ``names`` found in the system font folders (and ``AMANE_FONT_DIRS``).

    >>> [p.name for p in find_fonts(["DejaVuSans.ttf", "no-such-font.ttf"])]
    ['DejaVuSans.ttf']
    """
    dirs = [d for d in os.environ.get("AMANE_FONT_DIRS", "").split(":") if d] + _FONT_DIRS
    found: dict[str, Path] = {}
    for d in dirs:
        root = Path(d)
        if root.is_dir():
            for p in root.rglob("*.[ot]tf"):
                if p.name in names and p.name not in found:
                    found[p.name] = p
    return [found[n] for n in names if n in found]


def _din_nines(
    layer: Image.Image, text: str, font: ImageFont.FreeTypeFont, origin: tuple[float, float]
) -> None:
    """Redraw every ``9`` of ``text`` (drawn on ``layer`` at ``origin``) as the font's ``6`` turned half a
    turn: the straight-legged 9 of DIN 1451, the face of Moroccan plates, which most faces lack."""
    six = font.getbbox("6")
    glyph = Image.new("L", (round(six[2] - six[0]), round(six[3] - six[1])), 0)
    ImageDraw.Draw(glyph).text((-six[0], -six[1]), "6", font=font, fill=255)
    turned = glyph.rotate(180)
    nine = font.getbbox("9")
    draw = ImageDraw.Draw(layer)
    for i, c in enumerate(text):
        if c != "9":
            continue
        x = origin[0] + font.getlength(text[:i])
        draw.rectangle([x + nine[0], origin[1] + nine[1], x + nine[2], origin[1] + nine[3]], fill=0)
        cx = x + (nine[0] + nine[2]) / 2 - turned.width / 2
        cy = origin[1] + (nine[1] + nine[3]) / 2 - turned.height / 2
        layer.paste(255, (round(cx), round(cy)), turned)


def _rgb(pixel: Any) -> tuple[int, int, int]:
    return (int(pixel[0]), int(pixel[1]), int(pixel[2]))


@dataclass
class Plate:
    """A rendered plate before augmentation: RGB image and its normalised label."""

    image: Image.Image
    text: str


class PlateRenderer:
    """Draws random plates and degrades them like a road camera would.

    ``sample()`` returns a grey ``INPUT_H x INPUT_W`` crop and its label (normalised, no separators).
    """

    def __init__(
        self, rng: np.random.Generator, relief_share: float = 0.0, outline_share: float = 0.0
    ) -> None:
        self.rng = rng
        self.relief_share = relief_share
        self.outline_share = outline_share
        """Of the plates drawn in relief, the share with hollow characters (:func:`.relief.outline`)."""
        latin, arabic = find_fonts(_LATIN_FONTS), find_fonts(_ARABIC_FONTS)
        if not latin or not arabic:
            raise RuntimeError(
                "plate renderer needs DejaVu/Noto fonts (Debian fonts-dejavu-core, fonts-noto-core)"
            )
        self.latin, self.arabic = latin, arabic
        self.plate_fonts = find_fonts(_PLATE_FONTS) or latin
        self._font_cache: dict[tuple[Path, int], ImageFont.FreeTypeFont] = {}
        self.last_runs: list[tuple[str, float, float]] = []
        """The text runs of the latest plate drawn and where they lie (text, left x, right x)."""
        self.layouts: list[tuple[float, Callable[[], Plate]]] = [
            (0.5, self.moroccan),
            (0.08, self.moroccan_temporary),
            (0.03, self.moroccan_police),
            (0.07, self.moroccan_row),
            (0.18, self.eu),
            (0.08, self.br_old),
            (0.06, self.br_mercosur),
            (0.08, self.us),
        ]

    # -- helpers -------------------------------------------------------------------------------------
    def _font(self, path: Path, size: int) -> ImageFont.FreeTypeFont:
        key = (path, size)
        if key not in self._font_cache:
            self._font_cache[key] = ImageFont.truetype(str(path), size)
        return self._font_cache[key]

    def _pick(self, items: list[Path]) -> Path:
        return items[int(self.rng.integers(len(items)))]

    def _plate_font(self, p_din: float = 0.85) -> Path:
        """A narrow DIN-like face most of the time (as on real plates), any Latin face otherwise."""
        return self._pick(self.plate_fonts if self.rng.random() < p_din else self.latin)

    def _digit_face(self, p_din_strokes: float = 0.4) -> Path | DinFace:
        """For Moroccan serials and regions: often digits built like DIN 1451 (:mod:`.din_digits`), the
        face of the real plates, else a plate font."""
        if self.rng.random() < p_din_strokes:
            return DinFace.sample(self.rng)
        return self._plate_font()

    def _digits(self, lo: int, hi: int) -> str:
        n = int(self.rng.integers(lo, hi + 1))
        first = str(self.rng.integers(1, 10))
        return first + "".join(str(d) for d in self.rng.integers(0, 10, n - 1))

    def _letters(self, n: int, alphabet: str = string.ascii_uppercase) -> str:
        return "".join(alphabet[i] for i in self.rng.integers(0, len(alphabet), n))

    def _bg(self, plate_rgb: tuple[int, int, int]) -> tuple[int, int, int]:
        jitter = self.rng.integers(-25, 10, 3)
        return tuple(int(np.clip(c + j, 0, 255)) for c, j in zip(plate_rgb, jitter, strict=True))  # type: ignore[return-value]

    def _draw_runs(
        self,
        size: tuple[int, int],
        bg: tuple[int, int, int],
        fg: tuple[int, int, int],
        runs: Sequence[tuple[str, Path | DinFace, float]],
        gap: float,
        bars: bool,
        border: bool = True,
        y_off: float = 0.0,
        justify: bool = False,
    ) -> Image.Image:
        """Draw text runs left to right, each scaled to a fraction of the plate height: centred, or
        ``justify``'d (the first run near the left edge, the last near the right)."""
        w, h = size
        img = Image.new("RGB", size, bg)
        d = ImageDraw.Draw(img)
        if border:
            d.rectangle([1, 1, w - 2, h - 2], outline=fg, width=max(1, int(h * self.rng.uniform(0.01, 0.05))))

        layers = []
        for text, face, frac in runs:  # frac: ink height as a fraction of the plate height
            if isinstance(face, DinFace):
                digits = cv2.copyMakeBorder(face.render(text, 96), 2, 2, 2, 2, cv2.BORDER_CONSTANT)
                layer = Image.fromarray(digits)
            else:
                font = self._font(face, 96)
                box = d.textbbox((0, 0), text, font=font)
                layer = Image.new("L", (int(box[2] - box[0]) + 4, int(box[3] - box[1]) + 4), 0)
                ImageDraw.Draw(layer).text((2 - box[0], 2 - box[1]), text, font=font, fill=255)
                if "9" in text and self.rng.random() < 0.5:
                    _din_nines(layer, text, font, (2 - box[0], 2 - box[1]))
            weight = self.rng.random()
            if weight < 0.2:  # heavier or lighter strokes than the face's own (embossed, worn, bolder dies)
                layer = layer.filter(ImageFilter.MaxFilter(int(self.rng.choice([3, 5]))))
            elif weight < 0.3:
                layer = layer.filter(ImageFilter.MinFilter(3))
            target_h = max(6, int(h * frac))
            stretch = self.rng.uniform(0.8, 1.1)
            layers.append(
                layer.resize((max(1, int(layer.width * target_h / layer.height * stretch)), target_h))
            )
        # Separator bars sit where the plate maker put them, not midway between the runs: a gap may be
        # wide or tight (a digit touching its bar, the bars hugging the letter, the region far right).
        gaps = [gap * (self.rng.uniform(0.4, 2.2) if bars else 1.0) for _ in layers[1:]]
        at = [float(self.rng.uniform(0.15, 0.85)) if bars else 0.5 for _ in gaps]
        widths, gap_px = sum(lay.width for lay in layers), sum(gaps) * h
        total = widths + gap_px
        if justify and gaps:
            # Moroccan makers set the serial against the left edge and the region against the right
            # (a first digit touching the border); the letter and the bars share the space between.
            left, right = (float(m) * w for m in self.rng.uniform(0.012, 0.07, 2))
            room = w - left - right - widths
            if room > gap_px:  # stretch the gaps only, never squeeze them
                gaps = [g * room / gap_px for g in gaps]
                total = widths + room
            scale_x = min(1.0, (w - left - right) / max(total, 1))
            x = left
        else:
            scale_x = min(1.0, (w * 0.92) / max(total, 1))
            x = (w - total * scale_x) / 2
        self.last_runs = []
        for i, layer in enumerate(layers):
            if scale_x < 1.0:
                layer = layer.resize((max(1, int(layer.width * scale_x)), layer.height))
            y = (h - layer.height) / 2 + y_off * h + self.rng.uniform(-0.03, 0.03) * h
            img.paste(Image.new("RGB", layer.size, fg), (int(x), int(y)), layer)
            self.last_runs.append((runs[i][0], int(x), int(x) + layer.width))
            x += layer.width
            if i < len(gaps):
                if bars:
                    self._bar(d, int(x + gaps[i] * h * scale_x * at[i]), h, fg)
                x += gaps[i] * h * scale_x
        return self._relief(img, bg, fg)

    def _relief(self, img: Image.Image, bg: tuple[int, int, int], fg: tuple[int, int, int]) -> Image.Image:
        """On ``relief_share`` of the plates: hollow characters on ``outline_share`` of them
        (:func:`.relief.outline`), else pressed characters lit from one side (:func:`.relief.emboss`),
        and on some of those worn ink. Off by default (no random draw then, so renders stay as they
        were): the CRNN stage trained with it read the real plates worse."""
        if self.relief_share <= 0 or self.rng.random() >= self.relief_share:
            return img
        rgb = np.asarray(img)
        if self.outline_share > 0 and self.rng.random() < self.outline_share:
            return Image.fromarray(relief.outline(rgb, bg, fg, self.rng))
        embossed = self.rng.random() < 0.85
        if embossed:
            rgb = relief.emboss(rgb, bg, fg, self.rng)
        if not embossed or self.rng.random() < 0.3:
            rgb = relief.wear(rgb, bg, fg, self.rng)
        return Image.fromarray(rgb)

    def _bar(self, d: ImageDraw.ImageDraw, bx: int, h: int, fg: tuple[int, int, int]) -> None:
        """A separator bar as on Moroccan plates: thin, full or mid height, sometimes with bolt dots."""
        short = self.rng.random() < 0.3  # some makers' bars span only the middle of the plate
        top = self.rng.uniform(0.15, 0.3) if short else self.rng.uniform(0.05, 0.16)
        bottom = self.rng.uniform(0.7, 0.85) if short else self.rng.uniform(0.84, 0.95)
        width = max(1, int(h * self.rng.uniform(0.02, 0.045)))
        d.line([bx, int(h * top), bx, int(h * bottom)], fill=fg, width=width)
        if self.rng.random() < 0.3:  # bolt heads either side of the bar, at mid height
            r = max(1, int(h * self.rng.uniform(0.02, 0.035)))
            for dx in (-3 * r, 3 * r):
                cy = int(h * self.rng.uniform(0.4, 0.6))
                d.ellipse([bx + dx - r, cy - r, bx + dx + r, cy + r], fill=(110, 110, 110))

    def _ma_letter(self) -> str:
        letters = list(_MA_WEIGHTS)
        p = np.array([_MA_WEIGHTS[c] for c in letters])
        return letters[int(self.rng.choice(len(letters), p=p / p.sum()))]

    def _ma_frac(self, letter: str) -> float:
        tall = letter in "أط"
        return float(self.rng.uniform(0.5, 0.75) if tall else self.rng.uniform(0.33, 0.55))

    def _ma_glyph(self, letter: str) -> str:
        if letter == "ه" and self.rng.random() < 0.5:
            return "هـ"
        return letter

    # -- layouts -------------------------------------------------------------------------------------
    def moroccan(self) -> Plate:
        """Standard plate: ``serial | letter | region`` on white (sometimes pale yellow) ground."""
        letter = self._ma_letter()
        if letter == "ش":
            return self.moroccan_police()
        serial = self._digits(1, 5) if self.rng.random() < 0.15 else self._digits(4, 5)
        region = str(
            int(self.rng.integers(1, 90))
            if self.rng.random() < 0.5
            else int(self.rng.choice([1, 2, 4, 6, 7, 8, 11, 14, 20, 26, 33, 40, 48, 72]))
        )
        bg = self._bg((245, 245, 240) if self.rng.random() < 0.85 else (240, 225, 150))
        num, ara = self._digit_face(), self._pick(self.arabic)
        frac = self.rng.uniform(0.55, 0.8)
        runs = [
            (serial, num, frac),
            (self._ma_glyph(letter), ara, self._ma_frac(letter)),
            (region, num, frac),
        ]
        img = self._draw_runs(
            (520, 110),
            bg,
            (15, 15, 15),
            runs,
            self.rng.uniform(0.25, 0.6),
            bars=True,
            justify=self.rng.random() < 0.7,
        )
        return Plate(img, serial + letter + region)

    def moroccan_temporary(self) -> Plate:
        """Temporary plate: 6-digit serial then ``WW``."""
        serial = self._digits(6, 6)
        font = self._plate_font(0.4)
        digit_face = self._digit_face(0.3) if self.rng.random() < 0.5 else font
        runs = [(serial, digit_face, 0.6), ("WW" if self.rng.random() < 0.7 else "ww", font, 0.45)]
        img = self._draw_runs(
            (520, 110),
            self._bg((245, 245, 240)),
            (15, 15, 15),
            runs,
            self.rng.uniform(0.3, 0.9),
            bars=self.rng.random() < 0.3,
        )
        return Plate(img, serial + "WW")

    def moroccan_police(self) -> Plate:
        """Police plate: black ground, white serial, red ``ش``."""
        serial = self._digits(6, 6)
        num: Path | DinFace = self._plate_font()
        digits = f"{serial[:3]}·{serial[3:]}" if self.rng.random() < 0.5 else serial
        if digits == serial:
            num = self._digit_face()
        img = self._draw_runs(
            (520, 110),
            self._bg((25, 25, 25)),
            (235, 235, 235),
            [(digits, num, 0.6), ("ش", self._pick(self.arabic), self._ma_frac("ش"))],
            0.4,
            bars=False,
        )
        return Plate(img, serial + "ش")

    def moroccan_row(self) -> Plate:
        """One row of a two-row (motorcycle, square) plate: top ``letter | region`` or bottom serial."""
        bg = self._bg((245, 245, 240))
        if self.rng.random() < 0.5:
            letter = self._ma_letter()
            region = str(int(self.rng.integers(1, 90)))
            runs = [
                (self._ma_glyph(letter), self._pick(self.arabic), self._ma_frac(letter) * 1.2),
                (region, self._digit_face(), 0.6),
            ]
            img = self._draw_runs((300, 100), bg, (15, 15, 15), runs, self.rng.uniform(0.5, 1.2), bars=True)
            return Plate(img, letter + region)
        serial = self._digits(4, 6)
        img = self._draw_runs(
            (300, 100), bg, (15, 15, 15), [(serial, self._digit_face(), 0.6)], 0.3, bars=False
        )
        return Plate(img, serial)

    def moroccan_motorcycle(self) -> Plate:
        """A motorcycle's square plate: the region over a rule, a six-digit serial (leading zeros
        printed) below, bolt holes in the top corners. Labelled top row, then bottom row
        (``7016023``). Not among the training layouts: the reader reads each row on its own."""
        w, h = int(self.rng.integers(250, 300)), int(self.rng.integers(210, 250))
        bg, fg = self._bg((245, 245, 240)), (15, 15, 15)
        region = str(int(self.rng.integers(1, 90)))
        serial = f"{int(self.rng.integers(0, 400_000)):06d}"
        face = self._digit_face()
        top = self._draw_runs((w, h // 2), bg, fg, [(region, face, 0.5)], 0.3, bars=False, border=False)
        bottom = self._draw_runs((w, h // 2), bg, fg, [(serial, face, 0.55)], 0.3, bars=False, border=False)
        img = Image.new("RGB", (w, h), bg)
        img.paste(top, (0, int(h * 0.02)))
        img.paste(bottom, (0, h // 2 - int(h * 0.02)))
        d = ImageDraw.Draw(img)
        d.rectangle([1, 1, w - 2, h - 2], outline=fg, width=max(1, int(h * self.rng.uniform(0.01, 0.03))))
        rule_y = int(h * self.rng.uniform(0.47, 0.52))
        d.line([int(w * 0.08), rule_y, int(w * 0.92), rule_y], fill=fg, width=max(1, h // 80))
        r = int(h * self.rng.uniform(0.035, 0.055))
        for cx in (int(w * 0.12), int(w * 0.88)):  # bolt holes either side of the region
            cy = int(h * self.rng.uniform(0.1, 0.16))
            d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(90, 90, 90), outline=(40, 40, 40))
        return Plate(img, region + serial)

    def eu(self) -> Plate:
        """EU plate: blue band with the country code (not part of the label), then 5 to 8 characters."""
        pattern = self.rng.integers(0, 5)
        if pattern == 0:
            groups = [self._letters(2), self._digits(3, 3), self._letters(2)]
        elif pattern == 1:
            groups = [
                self._letters(int(self.rng.integers(1, 4))),
                self._letters(int(self.rng.integers(1, 3))),
                self._digits(1, 4),
            ]
        elif pattern == 2:
            groups = [self._letters(2), self._digits(3, 3) + self._letters(2)]
        elif pattern == 3:
            groups = [self._digits(1, 1) + self._letters(3), self._digits(3, 3)]
        else:
            alphabet = string.ascii_uppercase + string.digits
            groups = [
                self._letters(int(self.rng.integers(2, 4)), alphabet),
                self._letters(int(self.rng.integers(2, 5)), alphabet),
            ]
        sep = str(self.rng.choice([" ", "-", " ", ""]))
        text = sep.join(groups)
        yellow = self.rng.random() < 0.15
        bg = self._bg((245, 200, 30) if yellow else (245, 245, 245))
        w, h = 520, 112
        body = self._draw_runs(
            (w - 44, h),
            bg,
            (15, 15, 15),
            [(text, self._plate_font(0.5), 0.62)],
            0.2,
            bars=False,
            border=False,
        )
        img = Image.new("RGB", (w, h), bg)
        img.paste(body, (44, 0))
        d = ImageDraw.Draw(img)
        d.rectangle([0, 0, 40, h], fill=(20, 50, 160))
        code = str(self.rng.choice(_EU_CODES))
        d.text((6, int(h * 0.55)), code, font=self._font(self._pick(self.latin), 26), fill=(240, 240, 240))
        for k in range(12):
            a = 2 * np.pi * k / 12
            cx, cy = 20 + 10 * np.cos(a), 30 + 10 * np.sin(a)
            d.ellipse([cx - 1.5, cy - 1.5, cx + 1.5, cy + 1.5], fill=(240, 210, 0))
        d.rectangle([0, 0, w - 1, h - 1], outline=(20, 20, 20), width=3)
        return Plate(img, text.replace(" ", "").replace("-", ""))

    def br_old(self) -> Plate:
        """Old Brazilian plate: grey ground, ``ABC-1234``, city line on top (not part of the label)."""
        letters, digits = (
            self._letters(3),
            self._digits(4, 4)
            if self.rng.random() < 0.9
            else "".join(str(d) for d in self.rng.integers(0, 10, 4)),
        )
        w, h = 480, 150
        bg = self._bg((200, 200, 200))
        body = self._draw_runs(
            (w, int(h * 0.75)),
            bg,
            (20, 20, 20),
            [
                (
                    f"{letters}-{digits}" if self.rng.random() < 0.8 else f"{letters} {digits}",
                    self._plate_font(0.5),
                    0.7,
                )
            ],
            0.2,
            bars=False,
            border=False,
        )
        img = Image.new("RGB", (w, h), bg)
        img.paste(body, (0, int(h * 0.25)))
        d = ImageDraw.Draw(img)
        city = f"{self.rng.choice(_BR_CITIES)} - {self._letters(2)}"
        d.text((w * 0.2, 4), city, font=self._font(self._pick(self.latin), 26), fill=(20, 20, 20))
        d.rectangle([0, 0, w - 1, h - 1], outline=(20, 20, 20), width=4)
        return Plate(img, letters + digits)

    def br_mercosur(self) -> Plate:
        """Mercosur plate: white ground, blue band ``BRASIL``, ``ABC1D23``."""
        text = (
            self._letters(3)
            + self._digits(1, 1)
            + self._letters(1)
            + "".join(str(d) for d in self.rng.integers(0, 10, 2))
        )
        w, h = 480, 150
        img = Image.new("RGB", (w, h), self._bg((245, 245, 245)))
        body = self._draw_runs(
            (w, int(h * 0.75)),
            _rgb(img.getpixel((5, 5))),
            (20, 20, 20),
            [(text, self._plate_font(0.5), 0.7)],
            0.2,
            bars=False,
            border=False,
        )
        img.paste(body, (0, int(h * 0.25)))
        d = ImageDraw.Draw(img)
        d.rectangle([0, 0, w, int(h * 0.22)], fill=(20, 60, 170))
        d.text((w * 0.4, 2), "BRASIL", font=self._font(self._pick(self.latin), 26), fill=(240, 240, 240))
        d.rectangle([0, 0, w - 1, h - 1], outline=(20, 20, 20), width=3)
        return Plate(img, text)

    def us(self) -> Plate:
        """US-like plate: state name on top, 5 to 7 characters, coloured text."""
        alphabet = string.ascii_uppercase + string.digits
        text = (
            self._digits(1, 1) + self._letters(3) + self._digits(3, 3)
            if self.rng.random() < 0.5
            else self._letters(int(self.rng.integers(5, 8)), alphabet)
        )
        w, h = 400, 200
        fg = tuple(int(c) for c in self.rng.choice([[20, 20, 20], [20, 30, 120], [120, 20, 20]]))
        img = Image.new("RGB", (w, h), self._bg((240, 240, 235)))
        body = self._draw_runs(
            (w, int(h * 0.7)),
            _rgb(img.getpixel((5, 5))),
            fg,  # type: ignore[arg-type]
            [(text, self._pick(self.latin), 0.65)],
            0.2,
            bars=False,
            border=False,
        )
        img.paste(body, (0, int(h * 0.2)))
        d = ImageDraw.Draw(img)
        d.text(
            (w * 0.25, 6),
            str(self.rng.choice(_US_STATES)),
            font=self._font(self._pick(self.latin), 30),
            fill=(150, 20, 20),
        )
        return Plate(img, text)

    # -- degradation ---------------------------------------------------------------------------------
    def sample(self) -> tuple[Grey, str]:
        """One augmented grey crop (``INPUT_H x INPUT_W``) and its label."""
        weights = np.array([w for w, _ in self.layouts])
        plate = self.layouts[int(self.rng.choice(len(self.layouts), p=weights / weights.sum()))][1]()
        return self.degrade(np.asarray(plate.image)), plate.text

    def degrade(self, rgb: Any) -> Grey:
        """Place on a car-like background, warp, crop loosely or tightly, light, blur, compress, shrink."""
        rng = self.rng
        if rng.random() < 0.2:
            rgb = self._dealer_frame(rgb)
        scale = 72.0 / rgb.shape[0]
        rgb = cv2.resize(rgb, (max(8, int(rgb.shape[1] * scale)), 72), interpolation=cv2.INTER_AREA)
        h, w = rgb.shape[:2]
        pad = int(max(h, w) * 0.3)
        canvas = self._car_body(h + 2 * pad, w + 2 * pad)
        canvas[pad : pad + h, pad : pad + w] = rgb
        src = np.array([[pad, pad], [pad + w, pad], [pad + w, pad + h], [pad, pad + h]], np.float32)
        dst = self._warp_corners(src, w, h)
        m = cv2.getPerspectiveTransform(src, dst)
        warped = cv2.warpPerspective(
            canvas, m, (canvas.shape[1], canvas.shape[0]), borderMode=cv2.BORDER_REPLICATE
        )
        x0, y0 = dst[:, 0].min(), dst[:, 1].min()
        x1, y1 = dst[:, 0].max(), dst[:, 1].max()
        bw, bh = x1 - x0, y1 - y0
        loose = rng.random() < 0.3
        if loose:  # a loose crop: bumper, grille or boot lid around the plate
            mx, my = rng.uniform(0.0, 0.3, 2) * bw, rng.uniform(0.1, 0.8, 2) * bh
        else:
            mx, my = rng.uniform(-0.04, 0.12, 2) * bw, rng.uniform(-0.1, 0.3, 2) * bh
        crop = warped[int(max(0, y0 - my[0])) : int(y1 + my[1]), int(max(0, x0 - mx[0])) : int(x1 + mx[1])]
        grey: Any = self._light(cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY).astype(np.float32))
        # the crop's height in the camera image; a loose crop holds the plate in a fraction of it
        heights, weights = [12, 16, 20, 24, 32, 40, 48, 64], [0.03, 0.06, 0.1, 0.14, 0.2, 0.18, 0.15, 0.14]
        small_h = int(rng.choice(heights, p=weights) * rng.uniform(0.9, 1.2))
        if loose:
            small_h = max(small_h, 32)
        small_w = max(8, int(grey.shape[1] * small_h / max(1, grey.shape[0])))
        img: Any = cv2.resize(
            np.clip(grey, 0, 255).astype(np.uint8), (small_w, small_h), interpolation=cv2.INTER_AREA
        )
        if rng.random() < (0.5 if small_h > 20 else 0.15):
            k = int(rng.choice([3, 5]) if small_h > 30 else 3)
            img = cv2.GaussianBlur(img, (k, k), rng.uniform(0.3, 1.5))
        if rng.random() < 0.15 and small_h > 24:
            img = self._motion_blur(img)
        if rng.random() < 0.6:
            q = int(rng.integers(20 if small_h > 24 else 50, 95))
            ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, q])
            if ok:
                img = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
        out: Any = cv2.resize(img, (INPUT_W, INPUT_H), interpolation=cv2.INTER_LINEAR).astype(np.float32)
        out += rng.normal(0, rng.uniform(0, 7), out.shape)
        result: Grey = np.clip(out, 0, 255).astype(np.uint8)
        return result

    def _warp_corners(self, src: Any, w: int, h: int) -> Any:
        """Corners after a road camera's view: a small or a strong tilt, yaw and corner jitter."""
        rng = self.rng
        deg = rng.normal(0, 3.5) if rng.random() < 0.65 else rng.uniform(-16, 16)
        angle = np.deg2rad(deg)
        rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        c = src.mean(axis=0)
        pts = src - c
        yaw = rng.uniform(-0.12, 0.12)  # one side nearer the camera: taller
        pts[:, 1] *= 1 + yaw * np.sign(pts[:, 0])
        jit = rng.normal(0, 0.022, (4, 2)) * [w, h]
        return (pts @ rot.T + c + jit).astype(np.float32)

    def _car_body(self, h: int, w: int) -> Any:
        """Background around a plate: body colour with a vertical gradient, panel edges and grille bars."""
        rng = self.rng
        base = rng.integers(0, 256, 3).astype(np.float32)
        ramp = np.linspace(rng.uniform(-50, 10), rng.uniform(-10, 50), h, dtype=np.float32)[:, None, None]
        canvas = np.broadcast_to(base, (h, w, 3)) + ramp
        for _ in range(int(rng.integers(0, 5))):  # horizontal edges: bumper, boot lid, grille slats
            y, t = int(rng.integers(0, h)), int(rng.integers(1, max(2, h // 10)))
            canvas[y : y + t] += rng.uniform(-90, 90)
        if rng.random() < 0.3:  # a darker recess the plate sits in
            y0, y1 = sorted(rng.integers(0, h, 2))
            canvas[y0:y1] *= rng.uniform(0.3, 0.8)
        canvas += rng.normal(0, rng.uniform(2, 14), (h, w, 1))
        out: Any = np.clip(canvas, 0, 255).astype(np.uint8)
        return out

    def _light(self, grey: Any) -> Any:
        rng = self.rng
        h, w = grey.shape
        grey = grey * rng.uniform(0.6, 1.15) + rng.uniform(-30, 30)
        if rng.random() < 0.3:  # glare blob
            yy, xx = np.mgrid[0:h, 0:w]
            cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(0.1, 0.5) * w
            grey += rng.uniform(40, 160) * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r * r))
        if rng.random() < 0.35:  # a shadow edge (bumper, boot lid, a pole): any angle, mostly level
            grey *= self._shadow(h, w)
        if rng.random() < 0.15:  # night: dark, contrasty, noisy
            grey = 255 * (np.clip(grey, 0, 255) / 255) ** rng.uniform(1.3, 2.0) * rng.uniform(0.4, 0.8)
        if rng.random() < 0.05:
            grey = 255 - grey
        return grey

    def _dealer_frame(self, rgb: Any) -> Any:
        """The plate in a dark holder whose bottom strip carries the dealer's small print (a name, a
        phone number): text the reader must ignore."""
        rng = self.rng
        h, w = rgb.shape[:2]
        side, strip = int(h * rng.uniform(0.03, 0.08)), int(h * rng.uniform(0.12, 0.25))
        shade = int(rng.integers(0, 60))
        out = np.full((h + side + strip, w + 2 * side, 3), shade, np.uint8)
        out[side : side + h, side : side + w] = rgb
        img = Image.fromarray(out)
        words = [
            self._letters(int(rng.integers(3, 9))) if rng.random() < 0.6 else self._digits(6, 10)
            for _ in range(int(rng.integers(1, 4)))
        ]
        font = self._font(self._pick(self.latin), max(6, int(strip * rng.uniform(0.5, 0.8))))
        ink = int(rng.integers(170, 255))
        ImageDraw.Draw(img).text(
            (side + rng.uniform(0.05, 0.3) * w, side + h + strip * 0.1),
            "  ".join(words),
            font=font,
            fill=(ink, ink, ink),
        )
        return np.asarray(img)

    def _shadow(self, h: int, w: int) -> Any:
        """A multiplicative shadow: darker on one side of a line through the crop, with a soft edge.

        Half of them are nearly level and cross the characters (the top of a plate under a bumper or
        boot lid); the others are steep (a pole, the car's own edge)."""
        rng = self.rng
        level = rng.random() < 0.5
        angle = np.deg2rad(rng.normal(0, 12) if level else rng.uniform(60, 120))
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        nx, ny = -np.sin(angle), np.cos(angle)  # normal of the edge line
        cx, cy = rng.uniform(0.15, 0.85) * w, rng.uniform(0.2, 0.7) * h
        dist = (xx - cx) * nx + (yy - cy) * ny
        soft = max(0.5, rng.uniform(0.0, 0.08) * h)
        side = 1.0 / (1.0 + np.exp(np.clip(dist / soft, -30, 30)))  # 1 on the shadowed side
        if rng.random() < 0.5:
            side = 1.0 - side
        return 1.0 - rng.uniform(0.25, 0.65) * side

    def _motion_blur(self, img: Grey) -> Grey:
        k = int(self.rng.integers(3, 7))
        kernel: Any = np.zeros((k, k), np.float32)
        kernel[k // 2, :] = 1.0 / k
        m = cv2.getRotationMatrix2D((k / 2 - 0.5, k / 2 - 0.5), float(self.rng.uniform(0, 180)), 1.0)
        kernel = cv2.warpAffine(kernel, m, (k, k))
        kernel /= max(float(kernel.sum()), 1e-6)
        out: Any = cv2.filter2D(img, -1, kernel)
        return out  # type: ignore[no-any-return]
