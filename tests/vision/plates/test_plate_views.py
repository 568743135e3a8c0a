"""Reading rolled, loose and emblem-carrying plates: skew, tilted text lines, emblem masking, crop views."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import cv2
import numpy as np
import pytest

from amane.vision.plates.deskew import rotate, skew_angle, slant, unslant
from amane.vision.plates.emblems import band_cut, mask_emblems
from amane.vision.plates.localize import LocalizerConfig, PlateLocalizer
from amane.vision.plates.ocr_crnn import CrnnOCRConfig
from amane.vision.plates.reader import PlateReader, ReaderConfig


def _on_car(plate: np.ndarray, angle: float, width: int = 220) -> tuple[np.ndarray, np.ndarray]:
    """A 480x640 frame with the plate rolled by ``angle`` degrees (nothing cut off) and the plate's mask."""
    h = int(plate.shape[0] * width / plate.shape[1])
    small = cv2.resize(plate, (width, h), interpolation=cv2.INTER_AREA)
    rolled = rotate(small, angle)
    inside = rotate(np.full((h, width), 255, np.uint8), angle) > 128
    frame = np.full((480, 640, 3), 70, np.uint8)
    cv2.rectangle(frame, (120, 140), (520, 380), (40, 40, 140), -1)
    y, x = 260 - rolled.shape[0] // 2, 320 - rolled.shape[1] // 2
    region = frame[y : y + rolled.shape[0], x : x + rolled.shape[1]]
    region[inside] = rolled[inside]
    mask = np.zeros(frame.shape[:2], bool)
    mask[y : y + rolled.shape[0], x : x + rolled.shape[1]] = inside
    return frame, mask


@pytest.mark.parametrize("angle", [-15.0, -8.0, 0.0, 6.0, 14.0])
def test_skew_of_a_rendered_plate(clean_plate: Callable[[str], Any], angle: float) -> None:
    plate, _ = clean_plate("moroccan")
    rolled = rotate(cv2.resize(plate, (260, 55)), angle)
    assert abs(skew_angle(rolled) + angle) <= 2.0


def test_blank_crop_has_no_skew() -> None:
    assert skew_angle(np.full((40, 160), 200, np.uint8)) == 0.0
    assert skew_angle(np.zeros((3, 3), np.uint8)) == 0.0


@pytest.mark.parametrize("angle", [-14.0, 12.0])
def test_tilted_plate_is_one_tilted_line(clean_plate: Callable[[str], Any], angle: float) -> None:
    """The blobs of a rolled ``serial | letter | region`` plate merge into one quad with the plate's angle."""
    plate, _ = clean_plate("moroccan")
    frame, mask = _on_car(plate, angle)
    cands = PlateLocalizer(LocalizerConfig()).find(frame)
    assert cands
    best = max(cands, key=lambda c: c.width)
    top = best.quad[1] - best.quad[0]
    measured = -np.degrees(np.arctan2(top[1], top[0]))  # rotate() is counter-clockwise on screen
    assert abs(measured - angle) <= 4.0
    xs = np.nonzero(mask.any(axis=0))[0]
    assert best.width * abs(np.cos(np.radians(angle))) >= 0.6 * (xs[-1] - xs[0])


def test_rolled_crop_reads(clean_plate: Callable[[str], Any]) -> None:
    """A loose crop around a plate rolled 15 degrees reads as the plate."""
    reader = PlateReader(ReaderConfig(second_opinion=None))
    good = 0
    for _ in range(5):
        plate, text = clean_plate("moroccan")
        frame, mask = _on_car(plate, 15.0)
        ys, xs = np.nonzero(mask)
        crop = frame[max(0, ys.min() - 20) : ys.max() + 20, max(0, xs.min() - 15) : xs.max() + 15]
        good += reader.read_crop(crop).text == text
    assert good >= 4


def test_band_and_sticker_are_masked() -> None:
    plate = np.full((60, 300, 3), 230, np.uint8)
    plate[:, :28] = (170, 50, 20)  # EU band (BGR blue) with a white code in it
    cv2.putText(plate, "SK", (3, 50), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1)
    cv2.putText(plate, "AB", (40, 48), cv2.FONT_HERSHEY_SIMPLEX, 1.4, (20, 20, 20), 3)
    cv2.circle(plate, (140, 30), 9, (40, 40, 210), -1)  # red inspection sticker
    cv2.putText(plate, "123", (165, 48), cv2.FONT_HERSHEY_SIMPLEX, 1.4, (20, 20, 20), 3)
    x0, _, x1, _ = band_cut(plate)
    assert 26 <= x0 <= 40 and x1 == 300
    clean = mask_emblems(plate)
    sticker = clean[22:38, 140 - x0 - 8 : 140 - x0 + 8]
    assert sticker.min() > 150  # painted with the ground
    assert clean.min() < 60  # the characters are still there


def test_yellow_plate_keeps_its_ground() -> None:
    plate = np.full((60, 300, 3), (30, 200, 235), np.uint8)  # yellow ground (BGR)
    cv2.putText(plate, "12AB34", (20, 48), cv2.FONT_HERSHEY_SIMPLEX, 1.4, (20, 20, 20), 3)
    clean = mask_emblems(plate)
    assert clean.shape == plate.shape
    assert np.array_equal(clean, plate)


def test_localiser_lines_only_when_the_crop_leaves_the_reader_unsure(
    clean_plate: Callable[[str], Any],
) -> None:
    """A clean, tight crop reads without the localiser (its lines cost more than the rest of the read);
    with the gate at 1000 the lines are always read, and the read is the same."""
    plate, text = clean_plate("moroccan")
    crop = cv2.resize(plate, (260, 55), interpolation=cv2.INTER_AREA)
    lazy = PlateReader(ReaderConfig(second_opinion=None))
    calls: list[int] = []
    lines = lazy._crop_lines

    def counted(image: np.ndarray) -> list[np.ndarray]:
        calls.append(1)
        return lines(image)

    lazy._crop_lines = counted  # type: ignore[method-assign,assignment]
    assert lazy.read_crop(crop).text == text
    assert calls == []
    eager = PlateReader(ReaderConfig(second_opinion=None, ocr=CrnnOCRConfig(extra_views_gate=1000.0)))
    eager._crop_lines = counted  # type: ignore[method-assign,assignment]
    assert eager.read_crop(crop).text == text
    assert calls == [1]
    # a crop the reader is unsure of (low contrast, blurred, half covered) does get the lines
    hard = cv2.GaussianBlur(crop, (9, 9), 4)
    hard = cv2.addWeighted(hard, 0.3, np.full_like(hard, 128), 0.7, 0)
    hard[:, 100:] = 128
    lazy.read_crop(hard)
    assert calls == [1, 1]


def _seen_from_the_side(plate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A loose crop (bumper around it) of the plate seen from its left: the left end taller, rolled."""
    h, w = plate.shape[:2]
    corners = np.array([[60, 50], [330, 75], [332, 125], [58, 138]], np.float32)
    m = cv2.getPerspectiveTransform(np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32), corners)
    crop = np.full((200, 400, 3), 55, np.uint8)
    cv2.rectangle(crop, (0, 150), (400, 200), (30, 30, 30), -1)
    warped = cv2.warpPerspective(plate, m, (400, 200))
    inside = cv2.warpPerspective(np.full((h, w), 255, np.uint8), m, (400, 200)) > 128
    crop[inside] = warped[inside]
    return crop, corners


def test_flat_plate_undoes_the_perspective(clean_plate: Callable[[str], Any]) -> None:
    """The plate's ground is found as its four corners and warped back to the plate's own shape, and
    the recogniser reads the flat view."""
    from amane.vision.plates.ocr_crnn import CrnnPlateOCR
    from amane.vision.plates.plate_quad import flat_plates, plate_quads

    plate, text = clean_plate("moroccan")
    crop, corners = _seen_from_the_side(plate)
    quads = plate_quads(crop)
    assert len(quads) == 1
    assert np.abs(quads[0] - corners).max() < 11  # pixels: the ground inside the plate's dark rim
    (flat,) = flat_plates(crop, margin=(0.0, 0.0))
    aspect = plate.shape[1] / plate.shape[0]
    assert abs(flat.shape[1] / flat.shape[0] - aspect) < 0.2 * aspect  # the far end is foreshortened
    ocr = CrnnPlateOCR(CrnnOCRConfig(second_expert=None, turns=[], deskew=False))
    assert ocr.read(flat_plates(crop)[0]).text == text
    # no light plate-shaped ground: no view
    assert plate_quads(np.full((100, 300, 3), 90, np.uint8)) == []


@pytest.mark.parametrize("angle", [-32.0, 30.0])
def test_skew_of_a_steeply_rolled_plate(clean_plate: Callable[[str], Any], angle: float) -> None:
    plate, _ = clean_plate("moroccan")
    rolled = rotate(cv2.resize(plate, (260, 55)), angle)
    assert abs(skew_angle(rolled) + angle) <= 2.0


@pytest.mark.parametrize("shear", [-0.4, -0.2, 0.25, 0.45])
def test_slant_of_a_leaning_plate(clean_plate: Callable[[str], Any], shear: float) -> None:
    """A level plate whose characters lean (seen from the side once levelled) is stood upright."""
    plate, _ = clean_plate("moroccan")
    level = cv2.resize(plate, (260, 55))
    leaning = unslant(level, -shear)
    assert abs(slant(leaning) - shear) <= 0.1
    assert abs(slant(level)) <= 0.05
    assert slant(np.full((40, 160), 200, np.uint8)) == 0.0


def test_rolled_and_leaning_plates_read_better_stood_upright() -> None:
    """Plates rolled by 30 degrees whose characters lean once levelled (a steep view from the side)."""
    from amane.vision.plates.ocr_crnn import CrnnPlateOCR
    from amane.vision.plates.synth import PlateRenderer

    renderer = PlateRenderer(np.random.default_rng(7))

    upright = CrnnPlateOCR(CrnnOCRConfig(second_expert=None, flat_plate=False))
    leaning = CrnnPlateOCR(CrnnOCRConfig(second_expert=None, flat_plate=False, deslant=False))
    right = {"upright": 0, "leaning": 0}
    n = 0
    for _ in range(8):
        rendered = renderer.moroccan()
        plate, text = cv2.cvtColor(np.asarray(rendered.image), cv2.COLOR_RGB2BGR), rendered.text
        for shear in (0.45, 0.6):
            for width in (130, 260):
                seen = rotate(unslant(cv2.resize(plate, (width, width * 55 // 260)), shear), 30.0)
                right["upright"] += upright.read(seen).text == text
                right["leaning"] += leaning.read(seen).text == text
                n += 1
    assert right["upright"] > right["leaning"]  # 29 and 23 of 32 when written
    assert right["upright"] >= 0.8 * n


def test_square_plates_read_in_full_frames() -> None:
    """A square plate on a car: the localiser finds its rows as two lines; the bottom one, a bare serial,
    is read with the row above it as the one-row plate it is registered as."""
    from amane.vision.plates.formats import join_rows
    from amane.vision.plates.synth import PlateRenderer

    renderer = PlateRenderer(np.random.default_rng(11))
    readers = {on: PlateReader(ReaderConfig(square_plates=on)) for on in (True, False)}
    found = {True: 0, False: 0}
    for _ in range(10):
        top, bottom = renderer.moroccan_row(), renderer.moroccan_row()
        while top.text.isdigit():
            top = renderer.moroccan_row()
        while not bottom.text.isdigit() or len(bottom.text) > 5:
            bottom = renderer.moroccan_row()
        rows = [
            cv2.resize(cv2.cvtColor(np.asarray(r.image), cv2.COLOR_RGB2BGR), (150, 50)) for r in (top, bottom)
        ]
        frame = np.full((480, 640, 3), 90, np.uint8)
        cv2.rectangle(frame, (170, 150), (470, 360), (40, 40, 150), -1)
        frame[200:300, 245:395] = np.vstack(rows)
        for on, reader in readers.items():
            found[on] += join_rows(top.text, bottom.text) in [d.read.text for d in reader.read_frame(frame)]
    assert found[False] == 0
    assert found[True] >= 4  # 6 of 10 when written


def test_motorcycle_plates_read_in_full_frames() -> None:
    """A motorcycle's square plate in a frame: the localiser finds its six-digit serial as a line; with
    the row above it, it reads region then serial."""
    from amane.vision.plates.synth import PlateRenderer

    renderer = PlateRenderer(np.random.default_rng(12))
    readers = {on: PlateReader(ReaderConfig(square_plates=on)) for on in (True, False)}
    found = {True: 0, False: 0}
    for _ in range(10):
        plate = renderer.moroccan_motorcycle()
        frame = np.full((480, 640, 3), 90, np.uint8)
        cv2.rectangle(frame, (200, 150), (440, 380), (40, 40, 150), -1)
        frame[220:330, 255:385] = cv2.resize(
            cv2.cvtColor(np.asarray(plate.image), cv2.COLOR_RGB2BGR), (130, 110)
        )
        for on, reader in readers.items():
            found[on] += plate.text in [d.read.text for d in reader.read_frame(frame)]
    assert found[False] == 0
    assert found[True] >= 7  # 9 of 10 when written, 8 with the blended recogniser
