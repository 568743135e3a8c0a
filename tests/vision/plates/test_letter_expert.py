"""The series-letter classifier: where it looks, what it reads on rendered windows, how it weighs."""

from __future__ import annotations

import numpy as np
import pytest

from amane.core.plates import CHARSET
from amane.vision.plates.letter_expert import LetterExpert, LetterExpertConfig
from amane.vision.plates.letter_synth import SERIES_LETTERS, WINDOW, LetterWindows, letter_window


@pytest.fixture(scope="module")
def expert() -> LetterExpert:
    return LetterExpert(LetterExpertConfig())


def _columns(letter_at: int | None, t: int = 32) -> np.ndarray:
    """(T, classes) log-probabilities: blanks, and the letter ``ب`` at column ``letter_at``."""
    probs = np.full((t, len(CHARSET) + 1), 1e-6)
    probs[:, 0] = 1.0
    if letter_at is not None:
        probs[letter_at, 0] = 0.05
        probs[letter_at, CHARSET.index("ب") + 1] = 0.95
    out: np.ndarray = np.log(probs / probs.sum(axis=1, keepdims=True)).astype(np.float32)
    return out


def test_letter_column_is_where_the_recogniser_puts_a_letter(expert: LetterExpert) -> None:
    where = expert.letter_column(_columns(20), CHARSET)
    assert where is not None and abs(where - 20.5 / 32) < 0.01
    assert expert.letter_column(_columns(None), CHARSET) is None


def test_window_is_square_and_survives_the_plate_edge() -> None:
    flat = np.full((64, 300), 200, np.uint8)
    assert letter_window(flat, 150.0).shape == (WINDOW, WINDOW)
    assert letter_window(flat, 2.0).shape == (WINDOW, WINDOW)  # runs off the left edge: edge repeated


def test_it_reads_rendered_letters(expert: LetterExpert) -> None:
    """The shipped model on windows it has not seen (another seed): most letters right, most windows
    clear of the letter called no letter."""
    windows = LetterWindows(np.random.default_rng(99), none_share=0.5, relief_share=0.3, size=expert.window)
    right = 0
    for _ in range(60):
        img, label = windows.sample()
        scores = expert.classify(np.repeat(np.repeat(img, 2, axis=0), 2, axis=1), float(expert.window))
        right += max(scores, key=scores.__getitem__) == label
    assert right >= 45


def _letter_sample(seed: int, none_share: float = 0.0, avoid: str = "") -> tuple[np.ndarray, str]:
    """A rendered window (64 x 64, as cut from a 64-row flat plate) and its class."""
    windows = LetterWindows(np.random.default_rng(seed), none_share)
    while True:
        img, label = windows.sample()
        if label not in avoid:
            return np.repeat(np.repeat(img, 2, axis=0), 2, axis=1), label


def test_support_weighs_candidates_by_their_letter() -> None:
    """The best letter costs nothing, others up to weight x floor, a candidate without a letter the
    floor; when the recogniser sees no letter on the flat plate, the expert has no say."""
    expert = LetterExpert(LetterExpertConfig(scan_step=0.0))
    flat, _ = _letter_sample(5)
    scores = expert.classify(flat, 32.0)
    favourite = max(SERIES_LETTERS, key=scores.__getitem__)
    other = next(c for c in SERIES_LETTERS if c != favourite)
    texts = [f"1234{favourite}6", f"1234{other}6", "123456WW"]
    support = expert.support(flat, _columns(16), CHARSET, texts)
    cfg = expert.config
    assert support[0] == 0.0
    assert -cfg.weight * cfg.floor <= support[1] < 0.0
    assert support[2] == -cfg.weight * cfg.floor
    assert not expert.support(flat, _columns(None), CHARSET, texts).any()


def test_the_surest_window_across_the_plate_is_read() -> None:
    """The recogniser's letter column is on a digit or a bar (it read ``ب`` there); the real letter
    stands further right: the windows read across the plate find it, and it wins."""
    clear, label = _letter_sample(11, none_share=1.0)
    assert label == "-"
    letter_img, letter = _letter_sample(12, avoid="ب")
    flat = np.hstack([clear, letter_img])  # 64 x 128: no letter on the left, the letter on the right
    texts = ["1234ب6", f"1234{letter}6"]
    scanning = LetterExpert(LetterExpertConfig()).support(flat, _columns(8), CHARSET, texts)
    assert scanning[1] == 0.0 and scanning[0] < 0.0
    only_there = LetterExpert(LetterExpertConfig(scan_step=0.0)).support(flat, _columns(8), CHARSET, texts)
    assert only_there[0] != scanning[0]
