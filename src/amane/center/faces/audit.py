"""Every face match that reaches the centre goes to the audit log (light module: no vision imports)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from amane.center.audit import service as audit
from amane.core.messages import Alert, AlertKind


def audit_face_matches(session: Session, stored: Iterable[Alert]) -> int:
    """Append one ``face.match`` audit entry per newly stored face alert; returns how many."""
    n = 0
    for alert in stored:
        if alert.kind is not AlertKind.FACE:
            continue
        p = alert.payload
        audit.append(session=session, actor=f"unit:{alert.unit_id}", action="face.match",
                     target=f"alert:{alert.id}",
                     details={"person_id": p.get("person_id"), "notice": p.get("notice"),
                              "distance": p.get("distance"), "threshold": p.get("threshold"),
                              "model_id": p.get("model_id"), "camera_id": alert.camera_id,
                              "observed_at": alert.observed_at.isoformat()})
        n += 1
    return n
