"""``/api/v1/audit``: read the audit log (auditor, admin); each read is itself audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from amane.center.audit import service
from amane.center.audit.schemas import AuditEntryPublic
from amane.center.auth.roles import AUDIT_READERS
from amane.center.auth.service import AuthUser
from amane.center.deps import SessionDep, require_role

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])

AuditReader = Annotated[AuthUser, require_role(*AUDIT_READERS)]


@router.get("")
def read_audit(
    user: AuditReader,
    session: SessionDep,
    actor: str | None = None,
    action: str | None = None,
    before_seq: Annotated[int | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AuditEntryPublic]:
    entries = [
        AuditEntryPublic.model_validate(e)
        for e in service.list_entries(
            session=session, actor=actor, action=action, before_seq=before_seq, limit=limit
        )
    ]
    service.append(
        session=session,
        actor=user.actor,
        action="audit.read",
        target="audit",
        details={
            "actor": actor,
            "action": action,
            "before_seq": before_seq,
            "limit": limit,
            "rows": len(entries),
        },
    )
    session.commit()
    return entries
