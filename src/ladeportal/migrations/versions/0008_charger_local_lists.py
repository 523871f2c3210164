"""The local list each charger has accepted; an index for a charger's latest sessions;
joins the branches into one head.

Revision ID: 0008_charger_local_lists
Revises: 0004_pricing, 0005_members, 0007_login_send_keys
Create Date: 2026-11-29 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ladeportal.db.base

revision: str = "0008_charger_local_lists"
down_revision: str | Sequence[str] | None = ("0004_pricing", "0005_members", "0007_login_send_keys")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "charger_local_lists",
        sa.Column("charge_point_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("entries", sa.JSON(), nullable=False),
        sa.Column("updated_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["charge_point_id"],
            ["charge_points.id"],
            name=op.f("fk_charger_local_lists_charge_point_id_charge_points"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("charge_point_id", name=op.f("pk_charger_local_lists")),
    )
    with op.batch_alter_table("charging_sessions", schema=None) as batch_op:
        batch_op.create_index("ix_charging_sessions_cp_started", ["charge_point_id", "started_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("charging_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_charging_sessions_cp_started")
    op.drop_table("charger_local_lists")
