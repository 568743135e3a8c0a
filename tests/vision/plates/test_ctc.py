"""CTC scoring of a given text against brute force over every alignment, and its use across views."""

from __future__ import annotations

import itertools
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from amane.vision.plates.ctc import log_likelihood, log_likelihoods


def _collapse(path: tuple[int, ...]) -> tuple[int, ...]:
    out: list[int] = []
    prev = -1
    for k in path:
        if k != 0 and k != prev:
            out.append(k)
        prev = k
    return tuple(out)


def _brute_force(logp: np.ndarray, labels: tuple[int, ...]) -> float:
    total = 0.0
    t, c = logp.shape
    for path in itertools.product(range(c), repeat=t):
        if _collapse(path) == labels:
            total += math.exp(sum(logp[i, k] for i, k in enumerate(path)))
    return math.log(total) if total > 0 else -math.inf


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 5),
    st.lists(st.integers(1, 2), min_size=0, max_size=3),
    st.integers(0, 2**31 - 1),
)
def test_forward_matches_brute_force(steps: int, labels: list[int], seed: int) -> None:
    rng = np.random.default_rng(seed)
    raw = rng.random((steps, 3)) + 1e-3
    logp = np.log(raw / raw.sum(axis=1, keepdims=True))
    expected = _brute_force(logp, tuple(labels))
    got = log_likelihood(logp, labels)
    if expected == -math.inf:
        assert got < -1e20
    else:
        assert math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-9)


def test_probabilities_of_all_texts_sum_to_one() -> None:
    rng = np.random.default_rng(7)
    raw = rng.random((4, 3))
    logp = np.log(raw / raw.sum(axis=1, keepdims=True))
    texts = {_collapse(p) for p in itertools.product(range(3), repeat=4)}
    assert math.isclose(sum(math.exp(log_likelihood(logp, list(t))) for t in texts), 1.0, rel_tol=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 12).flatmap(
        lambda t: st.tuples(
            st.just(t),
            st.lists(st.lists(st.integers(1, 3), max_size=6), min_size=1, max_size=5),
            st.integers(0, 2**31 - 1),
        )
    )
)
def test_batched_scores_match_one_at_a_time(case: tuple[int, list[list[int]], int]) -> None:
    columns, texts, seed = case
    logp = np.log(np.random.default_rng(seed).dirichlet(np.ones(4), size=columns))
    batched = log_likelihoods(logp, texts)
    for text, got in zip(texts, batched, strict=True):
        want = log_likelihood(logp, text)
        assert (got < -1e20) if want < -1e20 else math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-9)


def test_views_scored_in_one_pass_match_each_view_alone() -> None:
    """(views, T, classes) scores every text in every view as one view at a time would."""
    rng = np.random.default_rng(11)
    views = np.log(rng.dirichlet(np.ones(5), size=(3, 7)))
    texts = [[1, 2, 2], [4], [], [3, 1, 3, 4]]
    together = log_likelihoods(views, texts)
    assert together.shape == (3, 4)
    for v in range(3):
        alone = log_likelihoods(views[v], texts)
        for a, b in zip(together[v], alone, strict=True):
            assert (a < -1e20 and b < -1e20) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
