"""Pricing: price plans and versions, group and public plan assignments, session pricing records,
day-ahead spot prices and their fetch progress.

Revision ID: 0004_pricing
Revises: 0002_ocpp
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ladeportal.db.base

revision: str = "0004_pricing"
down_revision: str | Sequence[str] | None = "0002_ocpp"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "spot_price_fetches",
        sa.Column("area", sa.String(length=3), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("completed_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("area", "currency", "day", name=op.f("pk_spot_price_fetches")),
    )
    op.create_table(
        "spot_price_intervals",
        sa.Column("area", sa.String(length=3), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("starts_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("price_nano_per_kwh", sa.BigInteger(), nullable=False),
        sa.Column("fetched_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("area", "currency", "starts_at", name=op.f("pk_spot_price_intervals")),
    )
    op.create_table(
        "price_plans",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("archived_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"], name=op.f("fk_price_plans_organization_id_organizations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_plans")),
        sa.UniqueConstraint("organization_id", "name", name=op.f("uq_price_plans_organization_id_name")),
    )
    op.create_index(op.f("ix_price_plans_organization_id"), "price_plans", ["organization_id"], unique=False)
    op.create_table(
        "group_price_plans",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.Column("site_id", sa.Uuid(), nullable=True),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("scope", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"], ["user_groups.id"], name=op.f("fk_group_price_plans_group_id_user_groups")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"], name=op.f("fk_group_price_plans_organization_id_organizations")
        ),
        sa.ForeignKeyConstraint(["plan_id"], ["price_plans.id"], name=op.f("fk_group_price_plans_plan_id_price_plans")),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_group_price_plans_site_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_price_plans")),
        sa.UniqueConstraint("scope", name=op.f("uq_group_price_plans_scope")),
    )
    op.create_index(
        op.f("ix_group_price_plans_organization_id"), "group_price_plans", ["organization_id"], unique=False
    )
    op.create_index(op.f("ix_group_price_plans_plan_id"), "group_price_plans", ["plan_id"], unique=False)
    op.create_table(
        "price_plan_versions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("effective_from", ladeportal.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("created_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["price_plans.id"], name=op.f("fk_price_plan_versions_plan_id_price_plans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_plan_versions")),
        sa.UniqueConstraint("plan_id", "effective_from", name=op.f("uq_price_plan_versions_plan_id_effective_from")),
        sa.UniqueConstraint("plan_id", "number", name=op.f("uq_price_plan_versions_plan_id_number")),
    )
    op.create_index(op.f("ix_price_plan_versions_plan_id"), "price_plan_versions", ["plan_id"], unique=False)
    op.create_table(
        "public_price_plans",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("site_id", sa.Uuid(), nullable=True),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("scope", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"], name=op.f("fk_public_price_plans_organization_id_organizations")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["price_plans.id"], name=op.f("fk_public_price_plans_plan_id_price_plans")
        ),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_public_price_plans_site_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_price_plans")),
        sa.UniqueConstraint("scope", name=op.f("uq_public_price_plans_scope")),
    )
    op.create_index(
        op.f("ix_public_price_plans_organization_id"), "public_price_plans", ["organization_id"], unique=False
    )
    op.create_index(op.f("ix_public_price_plans_plan_id"), "public_price_plans", ["plan_id"], unique=False)
    op.create_table(
        "session_pricings",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=True),
        sa.Column("plan_version_id", sa.Uuid(), nullable=True),
        sa.Column("started_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("priced_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("needs_review", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"], name=op.f("fk_session_pricings_organization_id_organizations")
        ),
        sa.ForeignKeyConstraint(["plan_id"], ["price_plans.id"], name=op.f("fk_session_pricings_plan_id_price_plans")),
        sa.ForeignKeyConstraint(
            ["plan_version_id"],
            ["price_plan_versions.id"],
            name=op.f("fk_session_pricings_plan_version_id_price_plan_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"], ["charging_sessions.id"], name=op.f("fk_session_pricings_session_id_charging_sessions")
        ),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_session_pricings")),
    )
    op.create_index(op.f("ix_session_pricings_organization_id"), "session_pricings", ["organization_id"], unique=False)
    op.create_index("ix_session_pricings_plan_started", "session_pricings", ["plan_id", "started_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_session_pricings_plan_started", table_name="session_pricings")
    op.drop_index(op.f("ix_session_pricings_organization_id"), table_name="session_pricings")
    op.drop_table("session_pricings")
    op.drop_index(op.f("ix_public_price_plans_plan_id"), table_name="public_price_plans")
    op.drop_index(op.f("ix_public_price_plans_organization_id"), table_name="public_price_plans")
    op.drop_table("public_price_plans")
    op.drop_index(op.f("ix_price_plan_versions_plan_id"), table_name="price_plan_versions")
    op.drop_table("price_plan_versions")
    op.drop_index(op.f("ix_group_price_plans_plan_id"), table_name="group_price_plans")
    op.drop_index(op.f("ix_group_price_plans_organization_id"), table_name="group_price_plans")
    op.drop_table("group_price_plans")
    op.drop_index(op.f("ix_price_plans_organization_id"), table_name="price_plans")
    op.drop_table("price_plans")
    op.drop_table("spot_price_intervals")
    op.drop_table("spot_price_fetches")
