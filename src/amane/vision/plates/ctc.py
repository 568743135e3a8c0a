"""CTC scoring of a given text: how likely one view's per-column scores make a candidate read.

Used to pick among candidate reads of several views of one plate by their summed evidence, rather
than by a vote over each view's single best path.

>>> import numpy as np
>>> logp = np.log(np.array([[0.1, 0.9, 0.0], [0.8, 0.1, 0.1], [0.1, 0.1, 0.8]]) + 1e-12)
>>> round(float(np.exp(log_likelihood(logp, [1, 2]))), 3)  # "ab": a-b, aab, abb, -ab, ab-
0.737
>>> log_likelihood(logp, [2, 2, 2]) < -1e20  # "bbb" needs blanks between its b's: 5 columns, not 3
True
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

_NEG = -1e30


def log_likelihood(logp: npt.NDArray[np.floating], labels: Sequence[int]) -> float:
    """log P(labels | logp) under CTC: ``logp`` is (T, classes) log-probabilities, blank = 0; ``labels``
    are class indices (no blanks). The forward algorithm (:func:`log_likelihoods` of one sequence)."""
    return float(log_likelihoods(logp, [labels])[0])


def log_likelihoods(
    logp: npt.NDArray[np.floating], texts: Sequence[Sequence[int]]
) -> npt.NDArray[np.float64]:
    """log P(text | logp) under CTC of each of several label sequences (class indices, no blanks;
    ``logp`` is (T, classes) log-probabilities, blank = 0): :func:`forward` with each label's own
    column of ``logp`` as its emission, a blank required between two equal labels. ``logp`` may also
    be (views, T, classes), every text scored in every view in one pass: then (views, texts).

    >>> import numpy as np
    >>> logp = np.log(np.array([[0.1, 0.9, 0.0], [0.8, 0.1, 0.1], [0.1, 0.1, 0.8]]) + 1e-12)
    >>> np.round(np.exp(log_likelihoods(logp, [[1, 2], [1], []])), 3).tolist()
    [0.737, 0.1, 0.008]
    >>> log_likelihoods(np.stack([logp, logp]), [[1, 2], [1]]).shape
    (2, 2)
    """
    lp = np.asarray(logp, dtype=np.float64)
    views = lp[None] if lp.ndim == 2 else lp
    n, v = len(texts), len(views)
    if n == 0:
        return np.zeros(0) if lp.ndim == 2 else np.zeros((v, 0))
    longest = max(len(t) for t in texts)
    labels = np.zeros((n, longest), dtype=np.int64)
    for i, text in enumerate(texts):
        labels[i, : len(text)] = text
    skip = np.zeros((n, longest), dtype=bool)
    skip[:, 1:] = labels[:, 1:] != labels[:, :-1]
    emissions = np.transpose(views[:, :, labels], (0, 2, 1, 3))  # (views, n, T, longest)
    out = forward_views(views[:, :, 0], emissions, np.array([len(t) for t in texts]), skip)
    return out[0] if lp.ndim == 2 else out


def forward_views(
    blank: npt.NDArray[np.floating],
    emissions: npt.NDArray[np.floating],
    lengths: npt.NDArray[np.integer],
    skip: npt.NDArray[np.bool_],
) -> npt.NDArray[np.float64]:
    """:func:`forward` of the same ``n`` sequences in each of several views, in one pass: ``blank``
    (views, T), ``emissions`` (views, n, T, L), ``lengths`` (n,), ``skip`` (n, L); returns (views, n).

    >>> import numpy as np
    >>> blank = np.log(np.array([[0.1, 0.8, 0.1]]))
    >>> em = np.log(np.array([[[[0.9, 0.0], [0.1, 0.1], [0.0, 0.8]]]]) + 1e-12)
    >>> np.round(np.exp(forward_views(blank, em, np.array([2]), np.array([[False, True]]))), 3).tolist()
    [[0.737]]
    """
    views, n, columns, longest = emissions.shape
    flat = forward(np.repeat(blank, n, axis=0), emissions.reshape(views * n, columns, longest),
                   np.tile(lengths, views), np.tile(skip, (views, 1)))
    return flat.reshape(views, n)


def forward(
    blank: npt.NDArray[np.floating],
    emissions: npt.NDArray[np.floating],
    lengths: npt.NDArray[np.integer],
    skip: npt.NDArray[np.bool_],
) -> npt.NDArray[np.float64]:
    """The CTC forward algorithm over ``n`` label sequences at once, in one pass over the columns.

    ``blank`` (T,): log-probability of the blank in each column, or (n, T), each sequence its own
    (several views scored in one pass); ``emissions`` (n, T, L): of label
    ``j`` of sequence ``i`` in column ``t`` (a label may stand for a set of classes: the log of their
    summed probability); ``lengths`` (n,): each sequence's label count (the rest is padding);
    ``skip`` (n, L): label ``j`` may follow label ``j - 1`` with no blank between (false where the two
    could be the same class, which CTC would collapse). Returns log P(sequence) for each.

    >>> import numpy as np
    >>> blank = np.log(np.array([0.1, 0.8, 0.1]))
    >>> em = np.log(np.array([[[0.9, 0.0], [0.1, 0.1], [0.0, 0.8]]]) + 1e-12)  # labels a, b of "ab"
    >>> round(float(np.exp(forward(blank, em, np.array([2]), np.array([[False, True]]))[0])), 3)
    0.737
    """
    bl = np.asarray(blank, dtype=np.float64)
    em = np.asarray(emissions, dtype=np.float64)
    n, columns, longest = em.shape
    if n == 0:
        return np.zeros(0)
    states = 2 * longest + 1
    state_skip = np.zeros((n, states), dtype=bool)
    state_skip[:, 3::2] = skip[:, 1:]
    ends = 2 * np.asarray(lengths, dtype=np.int64) + 1
    # states past a sequence's end must stay unreachable: they carry no label
    live = np.arange(states)[None, :] < ends[:, None]
    state_em = np.empty((n, columns, states))
    per_row = bl if bl.ndim == 2 else np.broadcast_to(bl, (n, columns))
    state_em[:, :, 0::2] = per_row[:, :, None]
    state_em[:, :, 1::2] = em
    alpha = np.full((n, states), _NEG)
    alpha[:, 0] = per_row[:, 0]
    has_label = ends > 1
    if longest:
        alpha[has_label, 1] = em[has_label, 0, 0]
    pad1 = np.full((n, 1), _NEG)
    pad2 = np.full((n, 2), _NEG)
    for t in range(1, columns):
        one = np.concatenate((pad1, alpha[:, :-1]), axis=1)
        two = np.where(state_skip, np.concatenate((pad2, alpha[:, :-2]), axis=1), _NEG)
        top = np.maximum(np.maximum(alpha, one), two)
        alpha = top + np.log(np.exp(alpha - top) + np.exp(one - top) + np.exp(two - top)) + state_em[:, t]
        alpha = np.where(live, alpha, _NEG)
    rows = np.arange(n)
    a = alpha[rows, ends - 1]
    b = np.where(has_label, alpha[rows, np.maximum(ends - 2, 0)], _NEG)
    top_end = np.maximum(a, b)
    out = top_end + np.log(np.exp(a - top_end) + np.exp(b - top_end))
    return np.where(top_end <= _NEG / 2, _NEG, out)
