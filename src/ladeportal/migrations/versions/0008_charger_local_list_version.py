"""Chargers remember the local list version they accepted; an index for a charger's latest sessions;
joins the branches into one head.

Revision ID: 0008_charger_local_list_version
Revises: 0004_pricing, 0005_members, 0007_login_send_keys
Create Date: 2026-11-29 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_charger_local_list_version"
down_revision: str | Sequence[str] | None = ("0004_pricing", "0005_members", "0007_login_send_keys")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("charge_points", schema=None) as batch_op:
        batch_op.add_column(sa.Column("local_list_version", sa.Integer(), nullable=True))
    with op.batch_alter_table("charging_sessions", schema=None) as batch_op:
        batch_op.create_index("ix_charging_sessions_cp_started", ["charge_point_id", "started_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("charging_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_charging_sessions_cp_started")
    with op.batch_alter_table("charge_points", schema=None) as batch_op:
        batch_op.drop_column("local_list_version")
