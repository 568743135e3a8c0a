"""Alerts: idempotent ingest (group-commit handler), queries, the review workflow."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from amane.center.alerts.schemas import AlertPublic, EvidencePublic, TransitionPublic
from amane.center.alerts.workflow import AlertStatus, ReviewAction, next_status
from amane.center.audit import service as audit
from amane.center.errors import NotFound
from amane.center.faces.audit import audit_face_matches
from amane.core.messages import Alert as WireAlert
from amane.core.messages import AlertKind, GeoPoint
from amane.store.models import Alert, AlertTransition

API_PREFIX = "/api/v1/alerts"


def evidence_url(alert_id: uuid.UUID, key: str) -> str:
    return f"{API_PREFIX}/{alert_id}/evidence/{key}"


def _row(alert: WireAlert, received_at: datetime) -> dict[str, Any]:
    return {
        "id": alert.id,
        "kind": alert.kind.value,
        "severity": alert.severity.value,
        "unit_id": alert.unit_id,
        "camera_id": alert.camera_id,
        "observed_at": alert.observed_at,
        "received_at": received_at,
        "lat": alert.position.lat if alert.position else None,
        "lon": alert.position.lon if alert.position else None,
        "bearing_deg": alert.bearing_deg,
        "summary": alert.summary,
        "payload": alert.payload,
        "declared_evidence": [e.model_dump(mode="json") for e in alert.evidence],
        "status": AlertStatus.NEW.value,
        "updated_at": received_at,
    }


def _insert_ignoring_duplicates(session: Session) -> Insert:
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(Alert).on_conflict_do_nothing(index_elements=["id"])
    return sqlite.insert(Alert).on_conflict_do_nothing(index_elements=["id"])


_COLUMNS = ("id", "kind", "severity", "unit_id", "camera_id", "observed_at", "received_at", "lat", "lon",
            "bearing_deg", "summary", "payload", "declared_evidence", "status", "updated_at")
_SQLITE_INSERT = (f"INSERT INTO alerts ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' for _ in _COLUMNS)}) "
                  "ON CONFLICT (id) DO NOTHING")
_SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy's SQLite DateTime stores (naive UTC, see UTCDateTime)


def _sqlite_value(column: str, value: Any) -> Any:
    if column in ("observed_at", "received_at", "updated_at"):
        return value.astimezone(UTC).strftime(_SQLITE_TIME)
    if column in ("payload", "declared_evidence"):
        return json.dumps(value, ensure_ascii=False)
    return str(value) if column == "id" else value


def _insert_sqlite(session: Session, rows: list[dict[str, Any]]) -> set[uuid.UUID]:
    """SQLite: which ids are new, then one ``executemany`` of plain tuples.

    SQLite's per-row SQLAlchemy processing cost more than the insert itself. Checking first is
    race-free here: the group-commit transaction began with ``BEGIN IMMEDIATE``, so no other
    writer (worker or process) can insert between the check and the insert.
    """
    ids = [str(r["id"]) for r in rows]
    marks = ", ".join("?" for _ in ids)
    connection = session.connection()
    existing = {r[0] for r in connection.exec_driver_sql(f"SELECT id FROM alerts WHERE id IN ({marks})",
                                                         tuple(ids))}
    new = [r for r in rows if str(r["id"]) not in existing]
    if new:
        params = [tuple(_sqlite_value(c, r[c]) for c in _COLUMNS) for r in new]
        connection.exec_driver_sql(_SQLITE_INSERT, params)  # type: ignore[arg-type]
    return {r["id"] for r in new}


def insert_alerts(session: Session, items: Sequence[tuple[WireAlert, datetime]]) -> list[str]:
    """Group-commit handler: insert alerts not stored yet; one ``stored``/``duplicate`` per item.

    On PostgreSQL ``INSERT ... ON CONFLICT DO NOTHING RETURNING id`` makes this safe against a
    concurrent insert of the same id by another worker: exactly one of them gets ``stored``.
    """
    first: dict[uuid.UUID, int] = {}
    for index, (alert, _) in enumerate(items):
        first.setdefault(alert.id, index)
    rows = [_row(items[i][0], items[i][1]) for i in first.values()]
    if session.get_bind().dialect.name == "sqlite":
        stored = _insert_sqlite(session, rows)
    else:
        stored = set(session.scalars(_insert_ignoring_duplicates(session).returning(Alert.id), rows))
    audit_face_matches(session, (items[i][0] for i in first.values() if items[i][0].id in stored))
    return [
        "stored" if alert.id in stored and first[alert.id] == index else "duplicate"
        for index, (alert, _) in enumerate(items)
    ]


def public_from_wire(alert: WireAlert, received_at: datetime) -> AlertPublic:
    """The public view of a just-stored alert, without reading it back."""
    return AlertPublic(
        id=alert.id,
        kind=alert.kind.value,
        severity=alert.severity.value,
        unit_id=alert.unit_id,
        camera_id=alert.camera_id,
        observed_at=alert.observed_at,
        received_at=received_at,
        position=alert.position,
        bearing_deg=alert.bearing_deg,
        summary=alert.summary,
        payload=alert.payload,
        evidence=[],
        status=AlertStatus.NEW,
        transitions=[],
    )


def to_public(row: Alert) -> AlertPublic:
    position = GeoPoint(lat=row.lat, lon=row.lon) if row.lat is not None and row.lon is not None else None
    return AlertPublic(
        id=row.id,
        kind=row.kind,
        severity=row.severity,
        unit_id=row.unit_id,
        camera_id=row.camera_id,
        observed_at=row.observed_at,
        received_at=row.received_at,
        position=position,
        bearing_deg=row.bearing_deg,
        summary=row.summary,
        payload=row.payload,
        evidence=[
            EvidencePublic(key=e.key, content_type=e.content_type, url=evidence_url(row.id, e.key))
            for e in row.evidence
        ],
        status=AlertStatus(row.status),
        transitions=[
            TransitionPublic(
                from_status=t.from_status, to_status=t.to_status, actor=t.actor, at=t.at, reason=t.reason
            )
            for t in row.transitions
        ],
    )


def list_alerts(
    *,
    session: Session,
    status: AlertStatus | None = None,
    kind: AlertKind | None = None,
    unit: str | None = None,
    before: datetime | None = None,
    limit: int = 100,
) -> list[AlertPublic]:
    """Newest first (by centre receipt time)."""
    stmt = select(Alert).order_by(Alert.received_at.desc(), Alert.id).limit(limit)
    if status is not None:
        stmt = stmt.where(Alert.status == status.value)
    if kind is not None:
        stmt = stmt.where(Alert.kind == kind.value)
    if unit is not None:
        stmt = stmt.where(Alert.unit_id == unit)
    if before is not None:
        stmt = stmt.where(Alert.received_at < before)
    return [to_public(row) for row in session.scalars(stmt)]


def get_alert(*, session: Session, alert_id: uuid.UUID) -> AlertPublic:
    row = session.get(Alert, alert_id)
    if row is None:
        raise NotFound(f"no alert {alert_id}")
    return to_public(row)


def review(
    *,
    session: Session,
    alert_id: uuid.UUID,
    action: ReviewAction,
    reason: str | None,
    reviewer: str,
    required_for: Callable[[AlertKind], int],
) -> AlertPublic:
    """Apply ``reviewer``'s (a username) review step, locking the alert row; records, audits, commits."""
    row = session.get(Alert, alert_id, with_for_update=True)
    if row is None:
        raise NotFound(f"no alert {alert_id}")
    confirmed_by = {t.actor for t in row.transitions if t.action == ReviewAction.CONFIRM.value}
    status = AlertStatus(row.status)
    to = next_status(
        status=status,
        action=action,
        actor=reviewer,
        reason=reason,
        required=required_for(AlertKind(row.kind)),
        confirmed_by=confirmed_by,
    )
    now = datetime.now(UTC)
    clean_reason = reason.strip() if reason and reason.strip() else None
    row.transitions.append(
        AlertTransition(
            action=action.value,
            from_status=status.value,
            to_status=to.value,
            actor=reviewer,
            at=now,
            reason=clean_reason,
        )
    )
    row.status, row.updated_at = to.value, now
    audit.append(
        session=session,
        actor=f"user:{reviewer}",
        action="alert.review",
        target=f"alert:{alert_id}",
        details={
            "action": action.value,
            "from": status.value,
            "to": to.value,
            "reason": clean_reason,
            "kind": row.kind,
        },
    )
    session.commit()
    return to_public(row)
