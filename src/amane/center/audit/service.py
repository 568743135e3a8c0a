"""The append-only, hash-chained audit log.

Each row carries ``prev_hash`` (the previous row's hash) and ``hash`` = SHA-256 of the canonical
JSON of the row's fields including ``prev_hash``. The single ``audit_head`` row holds the last
seq and hash: an append locks it (``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite the write
transaction already holds the database write lock from ``BEGIN IMMEDIATE``), so concurrent
appends from many requests and workers serialise into one chain, and a truncated tail shows.
Appends happen inside the caller's transaction: the audited change and its audit row commit
together or not at all.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from amane.store.models import AuditEntry, AuditHead

GENESIS = "0" * 64


def canonical(
    *, seq: int, at: datetime, actor: str, action: str, target: str, details: dict[str, Any], prev_hash: str
) -> bytes:
    """The bytes a row's hash covers (sorted keys, no spaces, UTC ISO time with microseconds)."""
    body = {
        "seq": seq,
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": actor,
        "action": action,
        "target": target,
        "details": details,
        "prev_hash": prev_hash,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def row_hash(entry: AuditEntry) -> str:
    """Recompute the hash of a stored row from its content."""
    return hashlib.sha256(
        canonical(
            seq=entry.seq,
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            target=entry.target,
            details=entry.details,
            prev_hash=entry.prev_hash,
        )
    ).hexdigest()


def append(
    *,
    session: Session,
    actor: str,
    action: str,
    target: str = "",
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """Add one row to the chain in ``session``'s (write) transaction; the caller commits."""
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one()
    clean = json.loads(json.dumps(details or {}, default=str))
    when = (at or datetime.now(UTC)).astimezone(UTC)
    seq = head.seq + 1
    digest = hashlib.sha256(
        canonical(
            seq=seq, at=when, actor=actor, action=action, target=target, details=clean, prev_hash=head.hash
        )
    ).hexdigest()
    entry = AuditEntry(
        seq=seq,
        at=when,
        actor=actor,
        action=action,
        target=target[:256],
        details=clean,
        prev_hash=head.hash,
        hash=digest,
    )
    session.add(entry)
    head.seq, head.hash = seq, digest
    session.flush()
    return entry


@dataclass(frozen=True, slots=True)
class ChainProblem:
    """One thing wrong with the chain, naming the row."""

    seq: int
    problem: str

    def __str__(self) -> str:
        return f"seq {self.seq}: {self.problem}"


def verify(*, session: Session, batch: int = 5000) -> tuple[int, list[ChainProblem]]:
    """Walk the whole chain; returns (rows checked, problems). No problems means the log is intact.

    A row whose content does not match its hash was edited; a gap in seq is a removal; a row whose
    ``prev_hash`` is the hash of a row other than its predecessor was moved (reordered).
    """
    problems: list[ChainProblem] = []
    hash_to_seq = {GENESIS: 0}
    for seq, digest in session.execute(select(AuditEntry.seq, AuditEntry.hash)):
        hash_to_seq[digest] = seq
    expected_seq, prev_hash, checked, last_seq = 1, GENESIS, 0, 0
    rows = session.execute(select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=batch))
    for entry in rows.scalars():
        checked += 1
        if entry.seq > expected_seq:
            missing = (
                f"seq {expected_seq}"
                if entry.seq == expected_seq + 1
                else f"seq {expected_seq}..{entry.seq - 1}"
            )
            problems.append(ChainProblem(entry.seq, f"row(s) {missing} removed before this row"))
        if row_hash(entry) != entry.hash:
            problems.append(ChainProblem(entry.seq, "row edited: its content does not match its hash"))
        if entry.prev_hash != prev_hash:
            follows = hash_to_seq.get(entry.prev_hash)
            if follows is not None and follows != entry.seq - 1:
                problems.append(
                    ChainProblem(
                        entry.seq, f"out of order: it was written after the row now at seq {follows}"
                    )
                )
            elif entry.seq == expected_seq and follows is None:
                problems.append(
                    ChainProblem(entry.seq, "chain broken: the row before it was edited or replaced")
                )
        prev_hash, expected_seq, last_seq = entry.hash, entry.seq + 1, entry.seq
    head = session.execute(select(AuditHead).where(AuditHead.id == 1)).scalar_one_or_none()
    if head is None:
        problems.append(ChainProblem(0, "audit_head row is missing"))
    elif head.seq > last_seq:
        problems.append(ChainProblem(head.seq, f"row(s) seq {last_seq + 1}..{head.seq} removed from the end"))
    elif head.seq != last_seq or head.hash != prev_hash:
        problems.append(ChainProblem(last_seq, "audit_head does not match the last row"))
    return checked, problems


def query(
    *, actor: str | None = None, action: str | None = None, before_seq: int | None = None, limit: int = 100
) -> Select[AuditEntry]:
    """Newest-first audit rows matching the filters."""
    stmt = select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit)
    if actor is not None:
        stmt = stmt.where(AuditEntry.actor == actor)
    if action is not None:
        stmt = stmt.where(AuditEntry.action == action)
    if before_seq is not None:
        stmt = stmt.where(AuditEntry.seq < before_seq)
    return stmt


def list_entries(
    *,
    session: Session,
    actor: str | None = None,
    action: str | None = None,
    before_seq: int | None = None,
    limit: int = 100,
) -> list[AuditEntry]:
    """Newest-first audit rows matching the filters."""
    return list(
        session.execute(query(actor=actor, action=action, before_seq=before_seq, limit=limit)).scalars()
    )
