"""Face safeguards: live face identification authorisations (who, legal reference, area, window, revocation).

Revision ID: 0004_face_authorisations
Revises: 0003_dispatch
Create Date: 2026-11-23 15:10:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from amane.store.types import UTCDateTime

revision: str = "0004_face_authorisations"
down_revision: str | Sequence[str] | None = "0003_dispatch"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "face_live_authorisations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("authorised_by", sa.String(length=120), nullable=False),
        sa.Column("legal_reference", sa.Text(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("area_name", sa.String(length=200), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("radius_m", sa.Float(), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_by", sa.String(length=120), nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_face_live_authorisations")),
    )
    with op.batch_alter_table("face_live_authorisations", schema=None) as batch_op:
        batch_op.create_index("ix_face_live_authorisations_ends_at", ["ends_at"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("face_live_authorisations", schema=None) as batch_op:
        batch_op.drop_index("ix_face_live_authorisations_ends_at")
    op.drop_table("face_live_authorisations")
