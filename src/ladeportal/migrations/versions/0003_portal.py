"""portal: login codes and portal sessions

Revision ID: 0003_portal
Revises: 0001_foundation
Create Date: 2026-11-29 10:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ladeportal.db.base

revision: str = "0003_portal"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_codes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("phone", sa.String(length=16), nullable=False),
        sa.Column("source_address", sa.String(length=45), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("code_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("used_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_login_codes_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_codes")),
    )
    op.create_index("ix_login_codes_phone_created", "login_codes", ["phone", "created_at"], unique=False)
    op.create_index("ix_login_codes_source_created", "login_codes", ["source_address", "created_at"], unique=False)
    op.create_table(
        "portal_sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("user_agent", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_portal_sessions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_portal_sessions_token_hash")),
    )
    op.create_index(op.f("ix_portal_sessions_user_id"), "portal_sessions", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_portal_sessions_user_id"), table_name="portal_sessions")
    op.drop_table("portal_sessions")
    op.drop_index("ix_login_codes_source_created", table_name="login_codes")
    op.drop_index("ix_login_codes_phone_created", table_name="login_codes")
    op.drop_table("login_codes")
