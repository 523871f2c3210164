"""Reviews of sessions with flagged meter values: who found them explained, when, and which flags.

Revision ID: 0019_session_reviews
Revises: 0018_portal_codes
Create Date: 2026-12-02 08:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ladeportal.db.base

revision: str = "0019_session_reviews"
down_revision: str | Sequence[str] | None = "0018_portal_codes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "session_reviews",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("anomalies", sa.JSON(), nullable=False),
        sa.Column("reviewed_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("reviewed_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["charging_sessions.id"],
            name=op.f("fk_session_reviews_session_id_charging_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_session_reviews_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["reviewed_by"], ["users.id"], name=op.f("fk_session_reviews_reviewed_by_users")),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_session_reviews")),
    )
    op.create_index(op.f("ix_session_reviews_organization_id"), "session_reviews", ["organization_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_session_reviews_organization_id"), table_name="session_reviews")
    op.drop_table("session_reviews")
