"""Retention of non-hit plate reads: modes, keyed hash, purge by age."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from amane.vision.plates.retention import ReadRetention, RetentionConfig

AT = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
KEY = "a-secret-key-of-32-characters-ok"


@pytest.mark.parametrize(
    ("mode", "written", "raw_kept"),
    [
        ("none", False, False),
        ("hash", True, False),
        ("raw", True, True),
    ],
)
def test_modes(tmp_path: Path, mode: str, written: bool, raw_kept: bool) -> None:
    store = ReadRetention(RetentionConfig(mode=mode, key=KEY), tmp_path / "r.sqlite")  # type: ignore[arg-type]
    assert store.record("57626 | ب | 8", camera_id="front", at=AT) is written
    assert store.seen("57626ب8") == int(written)
    text = (tmp_path / "r.sqlite").read_bytes()
    assert ("57626ب8".encode() in text) is raw_kept


def test_hash_is_keyed(tmp_path: Path) -> None:
    a = ReadRetention(RetentionConfig(key=KEY), tmp_path / "a.sqlite")
    b = ReadRetention(RetentionConfig(key=KEY[::-1]), tmp_path / "b.sqlite")
    assert a.digest("AB123CD") != b.digest("AB123CD")
    assert a.digest("ab-123-cd") == a.digest("AB123CD")


@pytest.mark.parametrize(
    ("kw", "ok"),
    [
        ({"mode": "hash", "key": "short"}, False),
        ({"mode": "hash", "key": KEY}, True),
        ({"mode": "raw"}, True),
        ({"mode": "none"}, True),
        ({"mode": "hash", "key": KEY, "days": -1}, False),
        ({"mode": "everything"}, False),
    ],
)
def test_config(kw: dict[str, object], ok: bool) -> None:
    if ok:
        RetentionConfig.model_validate(kw)
    else:
        with pytest.raises(ValueError):
            RetentionConfig.model_validate(kw)


def test_purge_by_age(tmp_path: Path) -> None:
    store = ReadRetention(RetentionConfig(key=KEY, days=30), tmp_path / "r.sqlite")
    store.record("AB123CD", camera_id="c", at=AT - timedelta(days=40))
    store.record("AB123CD", camera_id="c", at=AT - timedelta(days=10))
    assert store.purge(now=AT) == 1
    assert store.seen("AB123CD") == 1
