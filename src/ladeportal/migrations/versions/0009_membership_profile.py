"""What an organisation knows about a member belongs to the membership.

Revision ID: 0009_membership_profile
Revises: 0008_charger_local_lists
Create Date: 2026-12-02 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ladeportal.db.base

revision: str = "0009_membership_profile"
down_revision: str | Sequence[str] | None = "0008_charger_local_lists"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("email", sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column("notes", sa.String(length=1000), nullable=True))
        batch_op.add_column(sa.Column("activated_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=True))
    # Every organisation starts from what it could see so far; from now on each edits its own copy.
    # Correlated subqueries: the same statement runs on SQLite and PostgreSQL.
    op.execute(
        "UPDATE memberships SET "
        "name = (SELECT users.name FROM users WHERE users.id = memberships.user_id), "
        "email = (SELECT users.email FROM users WHERE users.id = memberships.user_id)"
    )
    # An active membership was accepted by signing in; its activation time is the best known one.
    op.execute(
        "UPDATE memberships SET activated_at = COALESCE("
        "(SELECT users.last_login_at FROM users WHERE users.id = memberships.user_id), memberships.updated_at) "
        "WHERE state = 'active'"
    )


def downgrade() -> None:
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.drop_column("activated_at")
        batch_op.drop_column("notes")
        batch_op.drop_column("email")
        batch_op.drop_column("name")
