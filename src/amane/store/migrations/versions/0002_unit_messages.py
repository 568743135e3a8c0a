"""Unit messaging: messages between the centre and units, and per-addressee delivery states.

Revision ID: 0002_messages
Revises: 0001
Create Date: 2026-11-23 14:40:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from amane.store.types import UTCDateTime, UUIDString

revision: str = "0002_messages"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "unit_messages",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", UUIDString(), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("unit_callsign", sa.String(length=64), nullable=True),
        sa.Column("region", sa.String(length=64), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("sender", sa.String(length=64), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_unit_messages")),
        sa.UniqueConstraint("id", name=op.f("uq_unit_messages_id")),
    )
    with op.batch_alter_table("unit_messages", schema=None) as batch_op:
        batch_op.create_index("ix_unit_messages_sent", ["sent_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_unit_messages_unit_callsign"), ["unit_callsign"], unique=False)
    op.create_table(
        "unit_message_deliveries",
        sa.Column("message_seq", sa.Integer(), nullable=False),
        sa.Column("unit_callsign", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.Column("read_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["message_seq"], ["unit_messages.seq"],
            name=op.f("fk_unit_message_deliveries_message_seq_unit_messages"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("message_seq", "unit_callsign", name=op.f("pk_unit_message_deliveries")),
    )
    with op.batch_alter_table("unit_message_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_unit_message_deliveries_unit_callsign"), ["unit_callsign"], unique=False
        )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("unit_message_deliveries")
    op.drop_table("unit_messages")
