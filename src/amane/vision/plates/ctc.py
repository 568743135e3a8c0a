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
    ``logp`` is (T, classes) log-probabilities, blank = 0): the forward algorithm, vectorised over the
    label states and the sequences, in one pass over the columns (the sequences are padded to one
    length; each ends in its own two last states).

    >>> import numpy as np
    >>> logp = np.log(np.array([[0.1, 0.9, 0.0], [0.8, 0.1, 0.1], [0.1, 0.1, 0.8]]) + 1e-12)
    >>> np.round(np.exp(log_likelihoods(logp, [[1, 2], [1], []])), 3).tolist()
    [0.737, 0.1, 0.008]
    """
    lp = np.asarray(logp, dtype=np.float64)
    n = len(texts)
    if n == 0:
        return np.zeros(0)
    longest = max(len(t) for t in texts)
    states = 2 * longest + 1
    ext = np.zeros((n, states), dtype=np.int64)
    for i, text in enumerate(texts):
        ext[i, 1 : 2 * len(text) : 2] = text
    skip = np.zeros((n, states), dtype=bool)
    skip[:, 2:] = (ext[:, 2:] != 0) & (ext[:, 2:] != ext[:, :-2])
    # states past a sequence's end must stay unreachable: they carry no label
    lengths = np.array([2 * len(text) + 1 for text in texts])
    live = np.arange(states)[None, :] < lengths[:, None]
    alpha = np.full((n, states), _NEG)
    alpha[:, 0] = lp[0, 0]
    has_label = lengths > 1
    if longest:
        alpha[has_label, 1] = lp[0, ext[has_label, 1]]
    pad1 = np.full((n, 1), _NEG)
    pad2 = np.full((n, 2), _NEG)
    for t in range(1, lp.shape[0]):
        one = np.concatenate((pad1, alpha[:, :-1]), axis=1)
        two = np.where(skip, np.concatenate((pad2, alpha[:, :-2]), axis=1), _NEG)
        top = np.maximum(np.maximum(alpha, one), two)
        alpha = top + np.log(np.exp(alpha - top) + np.exp(one - top) + np.exp(two - top)) + lp[t][ext]
        alpha = np.where(live, alpha, _NEG)
    rows = np.arange(n)
    a = alpha[rows, lengths - 1]
    b = np.where(has_label, alpha[rows, np.maximum(lengths - 2, 0)], _NEG)
    top_end = np.maximum(a, b)
    out = top_end + np.log(np.exp(a - top_end) + np.exp(b - top_end))
    return np.where(top_end <= _NEG / 2, _NEG, out)
