"""Evidence kept on the unit: the full snapshot with the box drawn, plus the crop, as JPEG files.

Files live under ``<dir>/<YYYY-MM-DD>/<alert id>/`` and are deleted by :meth:`EvidenceStore.purge` when
older than ``max_age_s`` or, oldest first, when the total goes over ``max_bytes`` (the outbox uploads
them long before that on a working link; a file purged before upload is reported by the uplink).
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from amane.core.messages import EvidenceRef

logger = logging.getLogger(__name__)

Image = npt.NDArray[np.uint8]
Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class StoredEvidence:
    """One file written for an alert."""

    ref: EvidenceRef
    path: Path


def draw_box(image: Image, box: Box, label: str = "", colour: tuple[int, int, int] = (0, 0, 255)) -> Image:
    """A copy of ``image`` with ``box`` drawn (and a label above it)."""
    out = image.copy()
    x1, y1, x2, y2 = (round(v) for v in box)
    thick = max(2, round(max(out.shape[:2]) / 400))
    cv2.rectangle(out, (x1, y1), (x2, y2), colour, thick)
    if label:
        scale = max(0.4, max(out.shape[:2]) / 1600)
        (tw, th), _ = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
        ty = max(th + 4, y1 - 4)
        cv2.rectangle(out, (x1, ty - th - 4), (x1 + tw + 4, ty + 2), colour, -1)
        cv2.putText(
            out, label, (x1 + 2, ty - 2), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1, cv2.LINE_AA
        )
    return out


class EvidenceStore:
    """Writes evidence JPEGs and enforces the retention limits."""

    def __init__(
        self, root: Path, *, max_age_s: float, max_bytes: int, jpeg_quality: int = 85, max_side: int = 1280
    ) -> None:
        if max_age_s <= 0 or max_bytes <= 0:
            raise ValueError(f"max_age_s and max_bytes must be > 0, got {max_age_s}, {max_bytes}")
        if not 30 <= jpeg_quality <= 100:
            raise ValueError(f"jpeg_quality must be in [30, 100], got {jpeg_quality}")
        self.root = root
        self.max_age_s = max_age_s
        self.max_bytes = max_bytes
        self.jpeg_quality = jpeg_quality
        self.max_side = max_side
        self._lock = threading.Lock()
        root.mkdir(parents=True, exist_ok=True)

    def _encode(self, image: Image) -> bytes:
        h, w = image.shape[:2]
        if max(h, w) > self.max_side:
            scale = self.max_side / max(h, w)
            image = np.asarray(
                cv2.resize(image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA),
                np.uint8,
            )
        ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, self.jpeg_quality])
        if not ok:
            raise ValueError(f"could not encode an image of shape {image.shape} as JPEG")
        return bytes(buf.tobytes())

    def save(self, alert_id: uuid.UUID, at: datetime, images: dict[str, Image]) -> list[StoredEvidence]:
        """Write ``key -> image`` as ``<key>.jpg`` files for an alert; returns their refs (with sha256)."""
        folder = self.root / at.strftime("%Y-%m-%d") / str(alert_id)
        folder.mkdir(parents=True, exist_ok=True)
        stored = []
        for key, image in images.items():
            if image.size == 0:
                continue
            data = self._encode(image)
            name = f"{key}.jpg"
            path = folder / name
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(data)
            tmp.replace(path)
            ref = EvidenceRef(key=name, sha256=hashlib.sha256(data).hexdigest(), content_type="image/jpeg")
            stored.append(StoredEvidence(ref, path))
        return stored

    def usage(self) -> int:
        """Bytes of evidence on disk."""
        return sum(p.stat().st_size for p in self.root.rglob("*.jpg"))

    def purge(self, now: float | None = None) -> int:
        """Apply the retention limits; returns the number of alert folders deleted."""
        now = time.time() if now is None else now
        with self._lock:
            folders = []
            for day in self.root.iterdir():
                if day.is_dir():
                    for folder in day.iterdir():
                        if folder.is_dir():
                            files = [f for f in folder.iterdir() if f.is_file()]
                            size = sum(f.stat().st_size for f in files)
                            mtime = max((f.stat().st_mtime for f in files), default=folder.stat().st_mtime)
                            folders.append((mtime, size, folder))
            folders.sort()
            total = sum(size for _, size, _ in folders)
            removed = 0
            for mtime, size, folder in folders:
                if now - mtime <= self.max_age_s and total <= self.max_bytes:
                    break
                shutil.rmtree(folder, ignore_errors=True)
                total -= size
                removed += 1
            for day in self.root.iterdir():
                if day.is_dir() and not any(day.iterdir()):
                    day.rmdir()
        if removed:
            logger.info("evidence retention: removed %d alert folders", removed)
        return removed
