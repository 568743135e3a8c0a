"""Vector index (exact, HNSW, IVF) and the gallery the matcher queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from amane.watchlists.crypto import TemplateCipher
from amane.watchlists.faces import FaceWatchlist
from amane.watchlists.faces_index import FaceIndex, WatchlistGallery


def _data(n: int, d: int = 128, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype(np.float32)
    return np.asarray(x / np.linalg.norm(x, axis=1, keepdims=True), np.float32)


@pytest.mark.parametrize(("kind", "min_recall"), [("flat", 1.0), ("hnsw", 0.95), ("ivf", 0.6), ("auto", 1.0)])
def test_recall_against_exact(kind: str, min_recall: float) -> None:
    base = _data(5000)
    rng = np.random.default_rng(1)
    noise = rng.normal(scale=0.05, size=(100, 128)).astype(np.float32)
    queries = base[rng.choice(5000, 100, replace=False)] + noise
    ids = np.arange(5000, dtype=np.int64) + 1000
    exact_d, exact_ids = FaceIndex.build(base, ids, kind="flat").search(queries, 1)
    d, got = FaceIndex.build(base, ids, kind=kind).search(queries, 1)  # type: ignore[arg-type]
    assert (got[:, 0] == exact_ids[:, 0]).mean() >= min_recall
    ok = got[:, 0] == exact_ids[:, 0]
    assert np.allclose(d[ok, 0], exact_d[ok, 0], atol=1e-4)


@pytest.mark.parametrize("n", [0, 1, 3])
def test_small_and_empty(n: int) -> None:
    idx = FaceIndex.build(_data(n) if n else np.zeros((0, 128), np.float32), np.arange(n, dtype=np.int64))
    d, ids = idx.search(_data(1, seed=5), k=4)
    assert d.shape == (1, 4) and ids.shape == (1, 4)
    assert (ids[0] >= 0).sum() == n and np.isinf(d[0, n:]).all()


def test_bad_shapes() -> None:
    with pytest.raises(ValueError, match="vectors must be"):
        FaceIndex.build(np.zeros((3, 4), np.float32), np.arange(2))


def test_gallery_one_hit_per_person_and_expiry_at_search_time() -> None:
    now = [datetime(2026, 11, 23, tzinfo=UTC)]
    wl = FaceWatchlist("sqlite://", TemplateCipher(TemplateCipher.generate_key()))
    base = _data(3, seed=7)
    a = wl.add_person(name="A", notice="red", reason="r", legal_basis="l", agency="g", created_by="t",
                      expires_at=now[0] + timedelta(days=1), now=now[0]).id
    b = wl.add_person(name="B", notice="yellow", reason="r", legal_basis="l", agency="g", created_by="t",
                      expires_at=now[0] + timedelta(days=9), now=now[0]).id
    wl.add_template(a, base[0], model_id="m", photo_jpeg=b"a1", quality=1, now=now[0])
    wl.add_template(a, base[0] * 0.99, model_id="m", photo_jpeg=b"a2", quality=1, now=now[0])
    wl.add_template(b, base[1], model_id="m", photo_jpeg=b"b1", quality=1, now=now[0])
    gallery = WatchlistGallery(wl, "m", clock=lambda: now[0])
    hits = gallery.search(base[0], k=5)
    assert [h.person_id for h in hits] == [a, b]
    assert gallery.describe(a)["notice"] == "red"
    now[0] += timedelta(days=2)  # A expires; no refresh needed for it to stop matching
    assert [h.person_id for h in gallery.search(base[0], k=5)] == [b]


def test_templates_of_another_model_are_not_searched_and_said_so(caplog: pytest.LogCaptureFixture) -> None:
    wl = FaceWatchlist("sqlite://", TemplateCipher(TemplateCipher.generate_key()))
    p = wl.add_person(name="A", notice="red", reason="r", legal_basis="l", agency="g", created_by="t",
                      expires_at=datetime.now(UTC) + timedelta(days=1)).id
    wl.add_template(p, _data(1)[0], model_id="dlib-resnet-v1/flip", photo_jpeg=b"a1", quality=1)
    assert wl.templates_per_model() == {"dlib-resnet-v1/flip": 1}
    with caplog.at_level("WARNING", logger="amane.watchlists.faces_index"):
        gallery = WatchlistGallery(wl, "dlib+mfn/new")
    assert len(gallery) == 0 and gallery.search(_data(1, d=320)[0]) == []
    assert "1 templates were made by other embedding models (dlib-resnet-v1/flip)" in caplog.text
