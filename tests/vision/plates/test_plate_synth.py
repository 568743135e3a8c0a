"""The synthetic plate renderer: shapes, labels, layouts, determinism."""

from __future__ import annotations

import numpy as np
import pytest

from amane.core.plates import CHARSET, parse_moroccan
from amane.vision.plates.synth import INPUT_H, INPUT_W, PlateRenderer, find_fonts


@pytest.mark.parametrize(
    ("layout", "check"),
    [
        ("moroccan", lambda t: parse_moroccan(t) is not None),
        ("moroccan_temporary", lambda t: t.endswith("WW") and parse_moroccan(t) is not None),
        ("moroccan_police", lambda t: t.endswith("ش") and parse_moroccan(t) is not None),
        ("moroccan_row", lambda t: 1 <= len(t) <= 6),
        ("eu", lambda t: 2 <= len(t) <= 9 and t.isascii()),
        ("br_old", lambda t: len(t) == 7 and t[:3].isalpha() and t[3:].isdigit()),
        ("br_mercosur", lambda t: len(t) == 7 and t[3].isdigit() and t[4].isalpha()),
        ("us", lambda t: 5 <= len(t) <= 7),
    ],
)
def test_layouts(renderer: PlateRenderer, layout: str, check: object) -> None:
    for _ in range(5):
        plate = getattr(renderer, layout)()
        assert all(c in CHARSET for c in plate.text), plate.text
        assert check(plate.text), plate.text  # type: ignore[operator]
        img = np.asarray(plate.image)
        assert img.ndim == 3 and img.std() > 10  # something is drawn


def test_samples_are_model_input(renderer: PlateRenderer) -> None:
    for _ in range(10):
        img, text = renderer.sample()
        assert img.shape == (INPUT_H, INPUT_W) and img.dtype == np.uint8
        assert text and all(c in CHARSET for c in text)


def test_seeded_renderer_is_deterministic() -> None:
    a = PlateRenderer(np.random.default_rng(5))
    b = PlateRenderer(np.random.default_rng(5))
    for _ in range(3):
        (ia, ta), (ib, tb) = a.sample(), b.sample()
        assert ta == tb and np.array_equal(ia, ib)


def test_fonts_found() -> None:
    assert find_fonts(["DejaVuSans.ttf"])
    assert find_fonts(["NotoSansArabic-Regular.ttf", "Amiri-Regular.ttf"])


def test_justified_runs_reach_the_plate_edges() -> None:
    """Moroccan makers set the serial against the left edge and the region against the right."""
    renderer = PlateRenderer(np.random.default_rng(21))
    font = find_fonts(["DejaVuSansCondensed.ttf"])[0]
    runs = [("4721", font, 0.6), ("7", font, 0.6)]

    def ink_columns(justify: bool) -> tuple[int, int]:
        img = renderer._draw_runs(
            (520, 110), (245, 245, 240), (15, 15, 15), runs, 0.3, bars=False, border=False, justify=justify
        )
        cols = np.nonzero((np.asarray(img.convert("L")) < 128).any(axis=0))[0]
        return int(cols.min()), int(cols.max())

    left, right = ink_columns(justify=False)
    assert left > 0.2 * 520 and right < 0.8 * 520  # centred: short runs leave wide margins
    left, right = ink_columns(justify=True)
    assert left < 0.09 * 520 and right > 0.91 * 520
