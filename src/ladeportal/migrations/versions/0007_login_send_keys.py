"""portal: send-limit keys, so that parallel requests for login codes cannot exceed a limit

Revision ID: 0007_login_send_keys
Revises: 0003_portal
Create Date: 2026-12-02 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ladeportal.db.base

revision: str = "0007_login_send_keys"
down_revision: str | Sequence[str] | None = "0003_portal"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_send_keys",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("touched_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_send_keys")),
    )


def downgrade() -> None:
    op.drop_table("login_send_keys")
