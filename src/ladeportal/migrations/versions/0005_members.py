"""Members: invitation tracking, deleted groups, chargers a group may use, local authorization list versions.

Revision ID: 0005_members
Revises: 0001_foundation
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ladeportal.db.base

revision: str = "0005_members"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "local_list_versions",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"], name=op.f("fk_local_list_versions_organization_id_organizations")
        ),
        sa.PrimaryKeyConstraint("organization_id", name=op.f("pk_local_list_versions")),
    )
    op.create_table(
        "group_charge_points",
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.Column("charge_point_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["charge_point_id"],
            ["charge_points.id"],
            name=op.f("fk_group_charge_points_charge_point_id_charge_points"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["user_groups.id"],
            name=op.f("fk_group_charge_points_group_id_user_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("group_id", "charge_point_id", name=op.f("pk_group_charge_points")),
    )
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.add_column(sa.Column("invited_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("invite_sent_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("invite_count", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("user_groups", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deleted_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("user_groups", schema=None) as batch_op:
        batch_op.drop_column("deleted_at")
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.drop_column("invite_count")
        batch_op.drop_column("invite_sent_at")
        batch_op.drop_column("invited_at")
    op.drop_table("group_charge_points")
    op.drop_table("local_list_versions")
