"""Evidence images: content checks and content-addressed storage on disk.

An upload must be the type it claims (magic bytes), decode as an image (Pillow ``verify``), and
fit ``evidence_max_bytes``. Files are stored as ``<evidence_dir>/<sha[:2]>/<sha>.<ext>``: the key a
unit chose never becomes a path, so no key can escape the directory. Evidence is immutable: the
same bytes again under a key are a ``duplicate``; different bytes under a used key are refused.
"""

from __future__ import annotations

import hashlib
import io
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

from PIL import Image, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm import Session

from amane.center.alerts.schemas import EvidenceStored
from amane.center.audit import service as audit
from amane.center.errors import Conflict, Forbidden, Invalid, NotFound, UnsupportedMedia
from amane.store.models import Alert, AlertEvidence

MAGIC = {"image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG\r\n\x1a\n"}
EXTENSION = {"image/jpeg": "jpg", "image/png": "png"}
PIL_FORMAT = {"image/jpeg": "JPEG", "image/png": "PNG"}


def check_image(data: bytes, content_type: str) -> None:
    """Raise UnsupportedMedia unless ``data`` is a well-formed image of ``content_type``."""
    if content_type not in MAGIC:
        raise UnsupportedMedia(f"Content-Type must be image/jpeg or image/png, got {content_type or 'none'}")
    if not data.startswith(MAGIC[content_type]):
        raise UnsupportedMedia(f"the body is not {content_type} (its first bytes say otherwise)")
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != PIL_FORMAT[content_type]:
                raise UnsupportedMedia(f"the body decodes as {image.format}, not {content_type}")
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        raise UnsupportedMedia(f"the body is not a readable {content_type} image: {err}") from err


def _write_file(root: Path, digest: str, content_type: str, data: bytes) -> Path:
    path = root / digest[:2] / f"{digest}.{EXTENSION[content_type]}"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{uuid.uuid4().hex}.part")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    return path


def store_evidence(
    *,
    session: Session,
    evidence_dir: Path,
    alert_id: uuid.UUID,
    key: str,
    content_type: str,
    data: bytes,
    unit_callsign: str,
) -> EvidenceStored:
    """Check and store one evidence image of ``unit_callsign``'s alert; commits."""
    check_image(data, content_type)
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise NotFound(f"no alert {alert_id}: post the alert before its evidence")
    if alert.unit_id != unit_callsign:
        raise Forbidden(f"alert {alert_id} belongs to another unit")
    digest = hashlib.sha256(data).hexdigest()
    declared = {d["key"]: d for d in alert.declared_evidence}
    if key in declared and declared[key].get("sha256") not in (None, digest):
        raise Invalid(f"evidence {key!r}: sha256 differs from the one the alert declared")
    existing = session.scalars(
        select(AlertEvidence).where(AlertEvidence.alert_id == alert_id, AlertEvidence.key == key)
    ).first()
    if existing is not None:
        if existing.sha256 != digest:
            raise Conflict(f"evidence {key!r} of alert {alert_id} exists with other content")
        return EvidenceStored(
            key=key, sha256=digest, size=existing.size, content_type=existing.content_type, status="duplicate"
        )
    path = _write_file(evidence_dir, digest, content_type, data)
    now = datetime.now(UTC)
    session.add(
        AlertEvidence(
            alert_id=alert_id,
            key=key,
            content_type=content_type,
            sha256=digest,
            size=len(data),
            path=str(path),
            uploaded_at=now,
        )
    )
    alert.updated_at = now
    session.commit()
    return EvidenceStored(key=key, sha256=digest, size=len(data), content_type=content_type, status="stored")


def evidence_file(*, session: Session, alert_id: uuid.UUID, key: str, actor: str) -> tuple[Path, str]:
    """Path and content type of an evidence image (audited as a read of evidence); commits."""
    row = session.scalars(
        select(AlertEvidence).where(AlertEvidence.alert_id == alert_id, AlertEvidence.key == key)
    ).first()
    if row is None or not Path(row.path).is_file():
        raise NotFound(f"no evidence {key!r} for alert {alert_id}")
    audit.append(
        session=session, actor=actor, action="evidence.read", target=f"alert:{alert_id}", details={"key": key}
    )
    session.commit()
    return Path(row.path), row.content_type
