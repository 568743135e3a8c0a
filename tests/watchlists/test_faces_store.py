"""Face watchlist storage: governance fields, expiry and purge, AES-GCM at rest, wrong keys."""

from __future__ import annotations

import base64
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from amane.watchlists.crypto import TemplateCipher, WatchlistKeyError, WrongKeyError
from amane.watchlists.faces import FaceWatchlist, Notice, PersonNotFound

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=30)


def _person(wl: FaceWatchlist, **over: object) -> int:
    fields: dict[str, object] = {"name": "A. Person", "notice": "red", "reason": "armed robbery",
                                 "legal_basis": "arrest warrant 123/2026", "agency": "DGSN",
                                 "expires_at": LATER, "created_by": "officer.k", "now": NOW}
    fields.update(over)
    return wl.add_person(**fields).id  # type: ignore[arg-type]


@pytest.fixture
def key() -> bytes:
    return TemplateCipher.generate_key()


@pytest.fixture
def wl(tmp_path: Path, key: bytes) -> FaceWatchlist:
    return FaceWatchlist(f"sqlite:///{tmp_path / 'wl.db'}", TemplateCipher(key))


@pytest.mark.parametrize(
    ("over", "error"),
    [
        ({}, None),
        ({"notice": "purple"}, None),
        ({"notice": "pink"}, "pink"),
        ({"name": "  "}, "name is required"),
        ({"legal_basis": ""}, "legal_basis is required"),
        ({"agency": ""}, "agency is required"),
        ({"reason": ""}, "reason is required"),
        ({"expires_at": NOW - timedelta(seconds=1)}, "future"),
        ({"expires_at": datetime(2030, 1, 1)}, "time zone"),
    ],
)
def test_add_person_validation(wl: FaceWatchlist, over: dict[str, object], error: str | None) -> None:
    if error is None:
        person = wl.get_person(_person(wl, **over))
        assert person.notice in set(Notice) and person.photos == 0 and person.created_by == "officer.k"
        return
    with pytest.raises(ValueError, match=error):
        _person(wl, **over)


def test_expired_persons_stop_matching_and_are_purged(wl: FaceWatchlist) -> None:
    a = _person(wl, expires_at=NOW + timedelta(days=1))
    b = _person(wl, expires_at=NOW + timedelta(days=10))
    for pid in (a, b):
        wl.add_template(pid, np.full(128, pid, np.float32), model_id="m", photo_jpeg=f"p{pid}".encode(),
                        quality=0.8, now=NOW)
    ids, _ = wl.active_templates("m", now=NOW)
    assert len(ids) == 2
    ids, vecs = wl.active_templates("m", now=NOW + timedelta(days=2))
    assert len(ids) == 1 and vecs[0, 0] == b
    assert [p.id for p in wl.list_persons(now=NOW + timedelta(days=2))] == [b]
    assert wl.purge_expired(NOW + timedelta(days=2)) == 1
    with pytest.raises(PersonNotFound):
        wl.get_person(a)
    assert wl.photos_of(a) == []
    assert wl.active_templates("other-model", now=NOW)[0].size == 0


def test_templates_and_photos_encrypted_at_rest(tmp_path: Path, wl: FaceWatchlist) -> None:
    pid = _person(wl)
    vec = (np.arange(128) / 7).astype(np.float32)
    rec = wl.add_template(pid, vec, model_id="m", photo_jpeg=b"\xff\xd8 very secret jpeg", quality=0.5,
                          now=NOW)
    raw = (tmp_path / "wl.db").read_bytes()
    assert vec.tobytes()[:64] not in raw and b"very secret jpeg" not in raw
    assert wl.reference_photo(rec.id) == b"\xff\xd8 very secret jpeg"
    assert np.array_equal(wl.active_templates("m", now=NOW)[1][0], vec)


def test_ciphertext_bound_to_its_row(tmp_path: Path, wl: FaceWatchlist) -> None:
    a, b = _person(wl), _person(wl, name="B. Person")
    wl.add_template(a, np.ones(128, np.float32), model_id="m", photo_jpeg=b"a", quality=1, now=NOW)
    wl.add_template(b, np.zeros(128, np.float32), model_id="m", photo_jpeg=b"b", quality=1, now=NOW)
    with sqlite3.connect(tmp_path / "wl.db") as conn:  # swap the two templates behind the API's back
        rows = conn.execute("SELECT id, template FROM face_watchlist_photos ORDER BY id").fetchall()
        conn.execute("UPDATE face_watchlist_photos SET template=? WHERE id=?", (rows[1][1], rows[0][0]))
    with pytest.raises(WrongKeyError):
        wl.active_templates("m", now=NOW)


def test_wrong_key_is_a_clear_error(tmp_path: Path, wl: FaceWatchlist) -> None:
    _person(wl)
    with pytest.raises(WrongKeyError, match="does not match"):
        FaceWatchlist(f"sqlite:///{tmp_path / 'wl.db'}", TemplateCipher(TemplateCipher.generate_key()))


@pytest.mark.parametrize(
    ("env", "error"),
    [
        ({}, "not set"),
        ({"AMANE_WATCHLIST_KEY": "not base64!!"}, "not valid base64"),
        ({"AMANE_WATCHLIST_KEY": base64.b64encode(b"short").decode()}, "32 bytes"),
        ({"AMANE_WATCHLIST_KEY": base64.b64encode(b"k" * 32).decode()}, None),
    ],
)
def test_key_from_environment(env: dict[str, str], error: str | None) -> None:
    if error is None:
        cipher = TemplateCipher.from_env(env)
        assert cipher.decrypt(cipher.encrypt(b"x", aad=b"a"), aad=b"a") == b"x"
        return
    with pytest.raises(WatchlistKeyError, match=error):
        TemplateCipher.from_env(env)


def test_remove_person(wl: FaceWatchlist) -> None:
    pid = _person(wl)
    wl.add_template(pid, np.ones(128, np.float32), model_id="m", photo_jpeg=None, quality=1, now=NOW)
    wl.remove_person(pid)
    assert wl.list_persons(include_expired=True) == []
    with pytest.raises(PersonNotFound):
        wl.remove_person(pid)
