"""Per-track voting: many reads of one vehicle's plate across frames become one read with a confidence.

Reads are aligned character by character to a pivot (the read whose length is the
confidence-weighted most common, and the most confident of that length) with an edit-distance
alignment, so a read that missed or added a character still lends its other characters. Each
position then takes the character with the largest summed confidence; the read's confidence is the
mean over positions of (winning weight / all weight) times the mean winning character confidence.

>>> from amane.vision.plates.base import PlateRead
>>> reads = [PlateRead("57626ب8", 0.9), PlateRead("57626ب8", 0.8), PlateRead("S7626ب8", 0.6),
...          PlateRead("5762ب8", 0.5)]
>>> v = vote(reads)
>>> v.text, v.confidence > 0.6
('57626ب8', True)
>>> vote([]).text
''
"""

from __future__ import annotations

from collections import defaultdict

from amane.vision.plates.base import PlateRead


def _char_confs(read: PlateRead) -> tuple[float, ...]:
    return read.char_confidences or tuple(read.confidence for _ in read.text)


def align(pivot: str, other: str) -> list[int | None]:
    """For each character of ``other``, the pivot position it aligns to (``None``: an insertion).

    >>> align("57626B8", "5762B8")
    [0, 1, 2, 3, 5, 6]
    >>> align("1234", "12x34")
    [0, 1, None, 2, 3]
    """
    n, m = len(pivot), len(other)
    cost = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n + 1):
        cost[i][0] = i
    for j in range(m + 1):
        cost[0][j] = j
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost[i][j] = min(
                cost[i - 1][j] + 1, cost[i][j - 1] + 1, cost[i - 1][j - 1] + (pivot[i - 1] != other[j - 1])
            )
    out: list[int | None] = [None] * m
    i, j = n, m
    while i > 0 and j > 0:
        if cost[i][j] == cost[i - 1][j - 1] + (pivot[i - 1] != other[j - 1]):
            out[j - 1] = i - 1
            i, j = i - 1, j - 1
        elif cost[i][j] == cost[i][j - 1] + 1:
            j -= 1
        else:
            i -= 1
    return out


def vote(reads: list[PlateRead]) -> PlateRead:
    """One read from many (see the module docstring); empty when no read has text."""
    reads = [r for r in reads if r.text]
    if not reads:
        return PlateRead.empty("vote")
    by_len: dict[int, float] = defaultdict(float)
    for r in reads:
        by_len[len(r.text)] += r.confidence
    length = max(by_len, key=lambda k: by_len[k])
    pivot = max((r for r in reads if len(r.text) == length), key=lambda r: r.confidence)
    weights: list[dict[str, float]] = [defaultdict(float) for _ in pivot.text]
    for r in reads:
        confs = _char_confs(r)
        for j, pos in enumerate(align(pivot.text, r.text)):
            if pos is not None:
                weights[pos][r.text[j]] += confs[j] * r.confidence
    chars, shares, char_conf = [], [], []
    for pos, w in enumerate(weights):
        if not w:
            chars.append(pivot.text[pos])
            shares.append(0.0)
            char_conf.append(0.0)
            continue
        best = max(w, key=lambda c: w[c])
        total = sum(w.values())
        chars.append(best)
        shares.append(w[best] / total if total > 0 else 0.0)
        support = [
            _char_confs(r)[j]
            for r in reads
            for j, p in enumerate(align(pivot.text, r.text))
            if p == pos and r.text[j] == best
        ]
        char_conf.append(sum(support) / len(support) if support else 0.0)
    agreement = sum(shares) / len(shares)
    confidence = max(0.0, min(1.0, agreement * (sum(char_conf) / len(char_conf))))
    per_char = tuple(round(min(1.0, s * c), 4) for s, c in zip(shares, char_conf, strict=True))
    return PlateRead("".join(chars), round(confidence, 4), per_char, "vote")
