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

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

_NEG = -1e30


def log_likelihood(logp: npt.NDArray[np.floating], labels: Sequence[int]) -> float:
    """log P(labels | logp) under CTC: ``logp`` is (T, classes) log-probabilities, blank = 0; ``labels``
    are class indices (no blanks). The forward algorithm, vectorised over the label states."""
    lp = np.asarray(logp, dtype=np.float64)
    if not labels:
        return float(lp[:, 0].sum())
    ext = np.zeros(2 * len(labels) + 1, dtype=np.int64)
    ext[1::2] = labels
    states = len(ext)
    # a state may be reached from two back when it is a label different from the label two back
    skip = np.zeros(states, dtype=bool)
    skip[2:] = (ext[2:] != 0) & (ext[2:] != ext[:-2])
    alpha = np.full(states, _NEG)
    alpha[0] = lp[0, 0]
    alpha[1] = lp[0, ext[1]]
    for t in range(1, lp.shape[0]):
        one = np.concatenate(([_NEG], alpha[:-1]))
        two = np.where(skip, np.concatenate(([_NEG, _NEG], alpha[:-2])), _NEG)
        top = np.maximum(np.maximum(alpha, one), two)
        alpha = top + np.log(np.exp(alpha - top) + np.exp(one - top) + np.exp(two - top)) + lp[t, ext]
    a, b = float(alpha[-1]), float(alpha[-2])
    top_end = max(a, b)
    if top_end <= _NEG / 2:
        return _NEG
    return top_end + math.log(math.exp(a - top_end) + math.exp(b - top_end))
