"""Dispatch: incidents, calls, the append-only incident timeline, unit assignments, rota teams and rotations.

Revision ID: 0003_dispatch
Revises: 0002_messages
Create Date: 2026-11-23 14:30:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from amane.store.types import UTCDateTime, UUIDString

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision: str = "0003_dispatch"
down_revision: str | Sequence[str] | None = "0002_messages"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "dispatch_incidents",
        sa.Column("id", UUIDString(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("nature_code", sa.String(length=48), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("external_ref", sa.String(length=64), nullable=True),
        sa.Column("duplicate_of", UUIDString(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("call_received_at", UTCDateTime(), nullable=True),
        sa.Column("first_dispatched_at", UTCDateTime(), nullable=True),
        sa.Column("first_on_scene_at", UTCDateTime(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("first_unit_kind", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatch_incidents")),
        sa.UniqueConstraint("number", name=op.f("uq_dispatch_incidents_number")),
        sa.UniqueConstraint("external_ref", name=op.f("uq_dispatch_incidents_external_ref")),
    )
    with op.batch_alter_table("dispatch_incidents", schema=None) as batch_op:
        batch_op.create_index("ix_dispatch_incidents_status_created", ["status", "created_at"], unique=False)
        batch_op.create_index("ix_dispatch_incidents_received", ["call_received_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_dispatch_incidents_region"), ["region"], unique=False)
    op.create_table(
        "dispatch_calls",
        sa.Column("id", UUIDString(), nullable=False),
        sa.Column("incident_id", UUIDString(), nullable=False),
        sa.Column("caller_name", sa.String(length=200), nullable=False),
        sa.Column("caller_phone", sa.String(length=40), nullable=False),
        sa.Column("nature_code", sa.String(length=48), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("taken_by", sa.String(length=64), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("answered_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["dispatch_incidents.id"],
            name=op.f("fk_dispatch_calls_incident_id_dispatch_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatch_calls")),
    )
    with op.batch_alter_table("dispatch_calls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dispatch_calls_incident_id"), ["incident_id"], unique=False)
    op.create_table(
        "dispatch_events",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("incident_id", UUIDString(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("reported_at", UTCDateTime(), nullable=True),
        sa.Column("unit_callsign", sa.String(length=64), nullable=True),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("details", JSON_TYPE, nullable=False),
        sa.Column("corrects", sa.Integer(), nullable=True),
        sa.Column("dedupe", sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["dispatch_incidents.id"],
            name=op.f("fk_dispatch_events_incident_id_dispatch_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_dispatch_events")),
        sa.UniqueConstraint("dedupe", name=op.f("uq_dispatch_events_dedupe")),
    )
    with op.batch_alter_table("dispatch_events", schema=None) as batch_op:
        batch_op.create_index("ix_dispatch_events_incident_seq", ["incident_id", "seq"], unique=False)
    op.create_table(
        "dispatch_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", UUIDString(), nullable=False),
        sa.Column("unit_callsign", sa.String(length=64), nullable=False),
        sa.Column("unit_kind", sa.String(length=16), nullable=False),
        sa.Column("message_id", UUIDString(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("eta_s", sa.Float(), nullable=True),
        sa.Column("override_reason", sa.String(length=500), nullable=True),
        sa.Column("dispatched_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["dispatch_incidents.id"],
            name=op.f("fk_dispatch_assignments_incident_id_dispatch_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatch_assignments")),
    )
    with op.batch_alter_table("dispatch_assignments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dispatch_assignments_incident_id"), ["incident_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_dispatch_assignments_message_id"), ["message_id"], unique=False)
        batch_op.create_index(
            "ix_dispatch_assignments_unit_active", ["unit_callsign", "active"], unique=False
        )
    op.create_table(
        "dispatch_teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("officers", JSON_TYPE, nullable=False),
        sa.Column("units", JSON_TYPE, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatch_teams")),
        sa.UniqueConstraint("region", "name", name="uq_dispatch_teams_region_name"),
    )
    op.create_table(
        "dispatch_rotations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=False),
        sa.Column("anchor", UTCDateTime(), nullable=False),
        sa.Column("shift_hours", sa.Integer(), nullable=False),
        sa.Column("pattern", JSON_TYPE, nullable=False),
        sa.Column("min_units", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatch_rotations")),
        sa.UniqueConstraint("region", name=op.f("uq_dispatch_rotations_region")),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("dispatch_rotations")
    op.drop_table("dispatch_teams")
    op.drop_table("dispatch_assignments")
    op.drop_table("dispatch_events")
    op.drop_table("dispatch_calls")
    op.drop_table("dispatch_incidents")
