"""PP-OCRv4's recogniser as a second expert: slot scoring of candidate plates, and its place in the pick."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from amane.vision.plates.ctc import log_likelihoods
from amane.vision.plates.ocr_crnn import CrnnOCRConfig, CrnnPlateOCR
from amane.vision.plates.second_expert import SecondExpert, SecondExpertConfig


@pytest.fixture(scope="module")
def expert() -> SecondExpert:
    return SecondExpert(SecondExpertConfig())


def _spelled(expert: SecondExpert, chars: list[str | None]) -> np.ndarray:
    """(T, classes) probabilities spelling ``chars`` one column apart (None: a column of 'any letter',
    split over three CJK characters), blanks between."""
    probs = np.full((2 * len(chars) + 2, len(expert.classes)), 1e-7)
    probs[:, 0] = 1.0
    for i, ch in enumerate(chars):
        t = 1 + 2 * i
        probs[t, 0] = 0.02
        if ch is None:
            for other in "元丁口":
                probs[t, expert.index[other]] = 0.3
        else:
            probs[t, expert.index[ch]] = 0.95
    out: np.ndarray = probs / probs.sum(axis=1, keepdims=True)
    return out


def test_plain_texts_score_as_ctc(expert: SecondExpert) -> None:
    """Texts of its own characters (a Latin plate, digits) score as plain CTC over its classes."""
    rng = np.random.default_rng(3)
    probs = rng.dirichlet(np.ones(len(expert.classes)) * 0.05, size=9)
    texts = ["AB123", "1", "WW4567", "77"]
    labels = [[expert.index[c] for c in t] for t in texts]
    want = log_likelihoods(np.log(probs + 1e-12), labels)
    got = expert.log_likelihoods(probs, texts)
    for a, b in zip(got, want, strict=True):
        assert math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-6)


def test_moroccan_plate_read_with_bars_and_an_unknown_letter(expert: SecondExpert) -> None:
    """``123|?|4``: the bars and the letter it cannot read cost nothing; a wrong digit costs much."""
    probs = _spelled(expert, ["1", "2", "3", "|", None, "丨", "4"])
    right, serial, region = expert.log_likelihoods(probs, ["123ب4", "128ب4", "123ب7"])
    assert right > -1.0
    assert serial < right - 5 and region < right - 5
    # the letter and bars may also be unread
    bare = _spelled(expert, ["1", "2", "3", "4"])
    assert expert.log_likelihoods(bare, ["123ب4"])[0] > -1.0


def test_serials_and_regions_of_its_read(expert: SecondExpert) -> None:
    probs = _spelled(expert, ["1", "4", "5", "3", "6", "7", "|", None, "|", "7", "2"])
    assert expert.greedy(probs).startswith("145367|")
    # cut to 5 and 6 digits (standard and WW plates); a leading 1 may be the plate's edge
    assert expert.serials(probs) == {"14536", "145367", "45367"}
    assert expert.regions(probs) == {"2", "72"}
    # cut to the lengths the CRNN reads too: its letter read as a digit runs on from a 4-digit serial
    letter_as_digit = _spelled(expert, ["9", "4", "9", "1", "3", "8"])
    assert "9491" in expert.serials(letter_as_digit, {4})
    assert "9491" not in expert.serials(letter_as_digit)


def test_rendered_plate_beats_its_one_digit_misreads(
    expert: SecondExpert, clean_plate: Callable[[str], tuple[Any, str]]
) -> None:
    for _ in range(3):
        img, text = clean_plate("moroccan")
        probs = expert.probs([img])[0]
        digit = next(i for i, c in enumerate(text) if c.isdigit())
        wrong = text[:digit] + ("3" if text[digit] != "3" else "8") + text[digit + 1 :]
        right_ll, wrong_ll = expert.log_likelihoods(probs, [text, wrong])
        assert right_ll > wrong_ll, (text, wrong)


def _crnn_columns(ocr: CrnnPlateOCR, text: str, other: str, lean: float) -> np.ndarray:
    """CRNN log-probabilities sure of ``text`` but for its first character: ``lean`` of the mass on
    ``other``, the rest (less the blank's share) on the right one."""
    probs = np.full((32, len(ocr.charset) + 1), 1e-6)
    probs[:, 0] = 1.0
    for i, ch in enumerate(text):
        t = 1 + 2 * i
        if i == 0:
            probs[t, 0] = 0.05
            probs[t, ocr.charset.index(ch) + 1] = 0.95 - lean
            probs[t, ocr.charset.index(other) + 1] = lean
        else:
            probs[t, 0] = 0.05
            probs[t, ocr.charset.index(ch) + 1] = 0.95
    probs /= probs.sum(axis=1, keepdims=True)
    out: np.ndarray = np.log(probs).astype(np.float32)
    return out


def test_expert_settles_a_digit_the_crnn_doubts(
    clean_plate: Callable[[str], tuple[Any, str]],
) -> None:
    """Of two views, one leans to a wrong first digit, the other to the right one, less: the CRNN's
    favourite is wrong by a hair, and the expert, reading the plate, tips the pick. With the gate shut
    (the lead above it), or the expert off, the CRNN's favourite stands."""
    img, text = clean_plate("moroccan")
    digit = text[0]
    other = "3" if digit != "3" else "8"
    plain = CrnnPlateOCR(CrnnOCRConfig(second_expert=None))
    logps = np.stack([_crnn_columns(plain, text, other, 0.6), _crnn_columns(plain, text, other, 0.45)])
    for config, want in (
        (SecondExpertConfig(), text),
        (SecondExpertConfig(gate=1e-6), other + text[1:]),
        (None, other + text[1:]),
    ):
        ocr = CrnnPlateOCR(CrnnOCRConfig(second_expert=config))
        reads = [ocr.decode(x) for x in logps]
        assert [r.text for r in reads] == [other + text[1:], text]
        assert ocr.pick(logps, reads, second=[img]).text == want


def test_missing_model_is_a_clear_error(tmp_path: Any) -> None:
    with pytest.raises(FileNotFoundError, match="recogniser not found"):
        SecondExpert(SecondExpertConfig(model_path=tmp_path / "none.onnx"))


def test_a_view_it_reads_nothing_in_is_not_weighed(expert: SecondExpert) -> None:
    """Blank columns favour the shortest candidate; such a view must not vote."""
    blank = expert.probs([np.full((40, 180, 3), 255, np.uint8)])[0]
    assert not expert.sees_text(blank)
    short, right = expert.log_likelihoods(blank, ["28ط6", "74100ه6"])
    assert short > right  # what it would say if it voted
    assert expert.sees_text(_spelled(expert, ["7", "4", "1", "|", None, "|", "6"]))


def test_a_model_that_knows_the_letter_weighs_it(expert: SecondExpert) -> None:
    """A user-supplied recogniser with Arabic letters in its classes scores the letter itself."""
    probs = _spelled(expert, ["1", "2", "3", "|", "元", "|", "4"])
    blind = expert.log_likelihoods(probs, ["123ب4", "123د4"])
    assert blind[0] == blind[1]  # the shipped one cannot tell the letters apart
    reading = copy.copy(expert)
    reading.index = {**expert.index, "ب": expert.index["元"], "د": expert.index["口"]}
    right, other = reading.log_likelihoods(probs, ["123ب4", "123د4"])
    assert right > other + 3  # the other letter is only read as missing: a blank where 元 stands


def test_views_of_one_batch_score_as_each_alone(expert: SecondExpert) -> None:
    """Several views' outputs scored in one pass give each view's own scores."""
    views = np.stack([
        _spelled(expert, ["1", "2", "3", "|", None, "丨", "4"]),
        _spelled(expert, ["1", "2", "8", "|", None, "丨", "4"]),
    ])
    texts = ["123ب4", "128ب4", "123ب7", "AB12"]
    together = expert.log_likelihoods(views, texts)
    assert together.shape == (2, 4)
    for v in range(2):
        np.testing.assert_allclose(together[v], expert.log_likelihoods(views[v], texts), rtol=1e-9)
    assert together[0].argmax() == 0 and together[1].argmax() == 1


def test_first_view_alone_when_it_settles_the_pick(monkeypatch: pytest.MonkeyPatch) -> None:
    """The expert reads its first view alone; the others only when that leaves the lead under its gate."""
    ocr = CrnnPlateOCR(CrnnOCRConfig())
    assert ocr.expert is not None
    clear = _spelled(ocr.expert, ["5", "2", "3", "|", None, "丨", "4"])
    blank = _spelled(ocr.expert, [])
    views = [np.zeros((40, 180, 3), np.uint8)] * 3
    # the CRNN reads 52?ب4, the third digit 3 (0.99) or 8 (0.01): a lead of 4.6 nats, under the gate (40)
    crnn = np.full((32, len(ocr.charset) + 1), 1e-6)
    crnn[:, 0] = 1.0
    columns = ({"5": 1.0}, {"2": 1.0}, {"3": 0.99, "8": 0.01}, {"ب": 1.0}, {"4": 1.0})
    for t, col in zip((1, 3, 5, 7, 9), columns, strict=True):
        crnn[t, 0] = 1e-6
        for ch, p in col.items():
            crnn[t, ocr.charset.index(ch) + 1] = p
    logps = np.log(crnn / crnn.sum(axis=1, keepdims=True))[None].astype(np.float32)
    texts = ["523ب4", "528ب4"]
    scored = ocr._scored(texts, ocr._evidence(logps, texts))
    calls: list[int] = []

    def reads(first: np.ndarray) -> Callable[[list[np.ndarray]], list[np.ndarray]]:
        def probs(images: list[np.ndarray]) -> list[np.ndarray]:
            calls.append(len(images))
            return [first if not calls[1:] else clear for _ in images]
        return probs

    monkeypatch.setattr(ocr.expert, "probs", reads(clear))
    out = ocr._second_opinion(logps, scored, views)
    assert calls == [1] and out.texts[int(out.total.argmax())] == "523ب4"  # one view (3 x 12 nats) settled it
    calls.clear()
    monkeypatch.setattr(ocr.expert, "probs", reads(blank))  # it reads nothing in the first view
    out = ocr._second_opinion(logps, scored, views)
    assert calls == [1, 2] and out.texts[int(out.total.argmax())] == "523ب4"
