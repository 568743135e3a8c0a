"""The DIN 1451 digits drawn for the plate renderer."""

from __future__ import annotations

import numpy as np
import pytest

from amane.vision.plates.din_digits import DinFace
from amane.vision.plates.synth import PlateRenderer


@pytest.mark.parametrize("digit", list("0123456789"))
def test_each_digit_is_drawn_inside_its_box(digit: str) -> None:
    face = DinFace()
    mask = face.render_glyph(digit, 70)
    assert mask.shape == (70, round(face.glyph_width(digit) * 10))
    ink = mask > 127
    assert 0.12 < ink.mean() < 0.75  # strokes, not blobs
    rows, _cols = np.nonzero(ink)
    assert rows.min() <= 2 and rows.max() >= 67  # full height: no digit floats in its box


def test_digits_differ_from_each_other() -> None:
    face = DinFace()
    masks = {d: face.render_glyph(d, 70).astype(float) / 255 for d in "023456789"}
    for a in masks:
        for b in masks:
            if a < b:
                assert np.abs(masks[a] - masks[b]).mean() > 0.05, (a, b)


def test_nine_is_the_six_turned_half_a_turn() -> None:
    """DIN 1451's 9 has the 6's straight stroke, as a leg: the glyph the shipped fonts lack."""
    face = DinFace(six_angle=212.0)
    six, nine = face.render_glyph("6", 70) > 127, face.render_glyph("9", 70) > 127

    def iou(a: np.ndarray, b: np.ndarray) -> float:
        return float((a & b).sum() / (a | b).sum())

    turned = np.rot90(six, 2)
    best = max(iou(np.roll(turned, (dy, dx), (0, 1)), nine) for dy in (-1, 0, 1) for dx in (-1, 0, 1))
    assert best > 0.9  # the same shape, up to the pixel grid
    assert iou(six, nine) < 0.6


def test_shape_variants_change_the_drawing() -> None:
    round_three = DinFace(flat_three=False).render_glyph("3", 70)
    flat_three = DinFace(flat_three=True).render_glyph("3", 70)
    assert (flat_three[3:8] > 127).mean() > (round_three[3:8] > 127).mean()  # the flat top is a bar


def test_a_run_is_its_glyphs_and_gaps() -> None:
    face = DinFace(width=3.5, spacing=0.7)
    run = face.render("5711", 70)
    glyphs = sum(face.render_glyph(d, 70).shape[1] for d in "5711")
    assert run.shape == (70, glyphs + 3 * 7)


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="not a digit"):
        DinFace().render("12a", 40)
    with pytest.raises(ValueError, match="no digits"):
        DinFace().render("", 40)


def test_sampled_faces_vary_and_stay_in_range() -> None:
    rng = np.random.default_rng(3)
    faces = [DinFace.sample(rng) for _ in range(200)]
    assert all(3.0 <= f.width <= 4.3 and 0.65 <= f.stroke <= 1.15 for f in faces)
    assert 0.25 < np.mean([f.flat_three for f in faces]) < 0.55


def test_moroccan_renders_use_the_din_digits_often() -> None:
    renderer = PlateRenderer(np.random.default_rng(11))
    faces = [renderer._digit_face() for _ in range(400)]
    share = np.mean([isinstance(f, DinFace) for f in faces])
    assert 0.3 < share < 0.5
    plate = renderer.moroccan()
    assert plate.image.size == (520, 110)
