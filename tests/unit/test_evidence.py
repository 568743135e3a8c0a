"""Evidence files: JPEGs with sha256 refs, boxes drawn, retention by age and by total size."""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import pytest

from amane.unit.evidence import EvidenceStore, draw_box


def image(seed: int, size: tuple[int, int] = (360, 640)) -> np.ndarray:  # type: ignore[type-arg]
    return np.random.default_rng(seed).integers(0, 255, (*size, 3), dtype=np.uint8)


def test_saved_evidence_is_a_jpeg_matching_its_ref(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path, max_age_s=3600, max_bytes=10**8, max_side=320)
    stored = store.save(
        uuid.uuid4(),
        datetime(2026, 1, 1, tzinfo=UTC),
        {"snapshot": draw_box(image(1), (10, 10, 100, 80), "plate 123"), "crop": image(2, (40, 30))},
    )
    assert [s.ref.key for s in stored] == ["snapshot.jpg", "crop.jpg"]
    for s in stored:
        data = s.path.read_bytes()
        assert s.ref.sha256 == hashlib.sha256(data).hexdigest() and s.ref.content_type == "image/jpeg"
        decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        assert decoded is not None and max(decoded.shape[:2]) <= 320


def test_draw_box_leaves_the_original_alone() -> None:
    frame = np.zeros((100, 100, 3), np.uint8)
    boxed = draw_box(frame, (10, 10, 50, 50), "x")
    assert frame.sum() == 0 and boxed[10, 30].tolist() == [0, 0, 255]


@pytest.mark.parametrize(
    ("max_age_s", "max_bytes", "kept"), [(3600, 10**9, 4), (150, 10**9, 2), (3600, 1, 0)]
)
def test_retention_by_age_and_size(tmp_path: Path, max_age_s: float, max_bytes: int, kept: int) -> None:
    store = EvidenceStore(tmp_path, max_age_s=max_age_s, max_bytes=max_bytes)
    now = time.time()
    for i in range(4):
        (s,) = store.save(uuid.uuid4(), datetime(2026, 1, 1, tzinfo=UTC), {"snapshot": image(i)})
        os.utime(s.path, (now - 100 * i, now - 100 * i))  # ages 0, 100, 200, 300 s
    store.purge(now)
    assert len(list(tmp_path.rglob("*.jpg"))) == kept


def test_size_limit_keeps_the_newest(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path, max_age_s=3600, max_bytes=10**9)
    now = time.time()
    paths = []
    for i in range(4):
        (s,) = store.save(uuid.uuid4(), datetime(2026, 1, 1, tzinfo=UTC), {"snapshot": image(i)})
        os.utime(s.path, (now - 100 * i, now - 100 * i))
        paths.append(s.path)
    store.max_bytes = paths[0].stat().st_size + paths[1].stat().st_size
    store.purge(now)
    assert [p.exists() for p in paths] == [True, True, False, False]
