"""Embossed and worn characters drawn by the plate renderer."""

from __future__ import annotations

import numpy as np

from amane.vision.plates import relief

GROUND, INK = (240, 240, 235), (15, 15, 15)


def _stroke_plate() -> np.ndarray:
    plate = np.zeros((100, 200, 3), np.uint8)
    plate[:] = GROUND
    plate[20:80, 90:110] = INK  # a vertical stroke 20 px wide
    return plate


def test_ink_share_tells_ink_from_ground() -> None:
    share = relief.ink_share(_stroke_plate(), GROUND, INK)
    assert share[50, 100] == 1.0 and share[50, 20] == 0.0


class _LeftLight:
    """A generator stand-in whose draws put the light on the left (angle pi), deep and strong."""

    def __init__(self) -> None:
        self.rng = np.random.default_rng(0)

    def random(self) -> float:
        return 0.9  # not the "any side" branch

    def normal(self, mean: float, sd: float) -> float:
        return float(np.pi)

    def uniform(self, lo: float, hi: float) -> float:
        return hi


def test_light_from_the_left_pales_the_left_face_and_shades_the_right() -> None:
    plate = _stroke_plate()
    out = relief.emboss(plate, GROUND, INK, _LeftLight())  # type: ignore[arg-type]
    grey = out.mean(axis=2)
    left_face, core, right_face = grey[50, 90:93].mean(), grey[50, 100], grey[50, 107:110].mean()
    assert left_face > 120  # the lit face reads nearly as pale as the ground
    assert core < 40 and right_face < 40  # the rest of the stroke stays ink
    assert grey[50, 112] < GROUND[0] - 20  # a shadow on the ground beside the far face
    assert abs(grey[50, 20] - np.mean(GROUND)) < 1  # the open ground is untouched


def test_wear_only_removes_ink() -> None:
    plate = _stroke_plate()
    out = relief.wear(plate, GROUND, INK, np.random.default_rng(3)).astype(int)
    ground = relief.ink_share(plate, GROUND, INK) == 0
    assert (out[ground] == plate[ground]).all()
    stroke = out[20:80, 90:110].mean(axis=2)
    assert stroke.max() > 60  # some ink is gone
    assert (stroke < 40).mean() > 0.5  # most is left


def test_renderer_draws_relief_only_when_asked() -> None:
    from amane.vision.plates.synth import PlateRenderer

    plain = PlateRenderer(np.random.default_rng(9)).moroccan()
    again = PlateRenderer(np.random.default_rng(9)).moroccan()
    assert (np.asarray(plain.image) == np.asarray(again.image)).all()  # off: renders as before
    pressed = PlateRenderer(np.random.default_rng(9), relief_share=1.0).moroccan()
    assert pressed.text == plain.text
    assert (np.asarray(pressed.image) != np.asarray(plain.image)).any()


def test_outline_keeps_the_rim_and_pales_the_face() -> None:
    plate = _stroke_plate()
    out = relief.outline(plate, GROUND, INK, np.random.default_rng(4)).mean(axis=2)
    assert out[50, 100] > 150  # the middle of the stroke reads nearly as pale as the ground
    assert out[50, 90] < 100 and out[50, 109] < 100  # its rims stay dark on both sides
    assert abs(out[50, 20] - np.mean(GROUND)) < 1  # the open ground is untouched


def test_renderer_draws_hollow_characters_when_asked() -> None:
    from amane.vision.plates.synth import PlateRenderer

    solid = PlateRenderer(np.random.default_rng(9)).moroccan()
    hollow = PlateRenderer(np.random.default_rng(9), relief_share=1.0, outline_share=1.0).moroccan()
    assert hollow.text == solid.text
    grey = np.asarray(hollow.image).mean(axis=2)
    assert (grey < 100).mean() < (np.asarray(solid.image).mean(axis=2) < 100).mean()  # less ink
