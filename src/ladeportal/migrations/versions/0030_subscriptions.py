"""Platform subscription: plans, each organisation's plan and customer, quarter runs and their invoices.

Revision ID: 0030_subscriptions
Revises: 0029_guest_charging
Create Date: 2026-12-02 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ladeportal.db.base

revision: str = "0030_subscriptions"
down_revision: str | Sequence[str] | None = "0029_guest_charging"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TS = ladeportal.db.base.UtcDateTime(timezone=True)
COLLECTION = sa.Enum("send_invoice", "charge_automatically", name="collection", native_enum=False, length=24)


def upgrade() -> None:
    op.create_table(
        "subscription_plans",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column(
            "unit", sa.Enum("charger", "connector", name="planunit", native_enum=False, length=16), nullable=False
        ),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("tiers", sa.JSON(), nullable=False),
        sa.Column("minimum_quarter_minor", sa.Integer(), nullable=False),
        sa.Column(
            "proration",
            sa.Enum("prorate", "next_quarter", name="proration", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("days_until_due", sa.Integer(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC_TS, nullable=False),
        sa.Column("updated_at", UTC_TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription_plans")),
        sa.UniqueConstraint("name", name=op.f("uq_subscription_plans_name")),
    )
    op.create_table(
        "subscription_runs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("quarter", sa.String(length=7), nullable=False),
        sa.Column("started_at", UTC_TS, nullable=False),
        sa.Column("started_by", sa.String(length=120), nullable=False),
        sa.Column("org_total", sa.Integer(), nullable=False),
        sa.Column("finished_at", UTC_TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription_runs")),
        sa.UniqueConstraint("quarter", name=op.f("uq_subscription_runs_quarter")),
    )
    op.create_table(
        "org_subscriptions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=True),
        sa.Column("collection", COLLECTION, nullable=False),
        sa.Column("stripe_customer_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", UTC_TS, nullable=False),
        sa.Column("updated_at", UTC_TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"], name=op.f("fk_org_subscriptions_organization_id_organizations")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["subscription_plans.id"], name=op.f("fk_org_subscriptions_plan_id_subscription_plans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_subscriptions")),
        sa.UniqueConstraint("organization_id", name=op.f("uq_org_subscriptions_organization_id")),
    )
    op.create_index(op.f("ix_org_subscriptions_plan_id"), "org_subscriptions", ["plan_id"])
    op.create_table(
        "subscription_invoices",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("quarter", sa.String(length=7), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("collection", COLLECTION, nullable=False),
        sa.Column("counted_at", UTC_TS, nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("vat_rate_bp", sa.Integer(), nullable=False),
        sa.Column("net_minor", sa.Integer(), nullable=False),
        sa.Column("vat_minor", sa.Integer(), nullable=False),
        sa.Column("total_minor", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "pending", "open", "paid", "void", "uncollectible", name="subinvoicestate", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("create_started_at", UTC_TS, nullable=True),
        sa.Column("stripe_invoice_id", sa.String(length=64), nullable=True),
        sa.Column("number", sa.String(length=64), nullable=True),
        sa.Column("hosted_url", sa.String(length=1000), nullable=True),
        sa.Column("pdf_url", sa.String(length=1000), nullable=True),
        sa.Column("due_at", UTC_TS, nullable=True),
        sa.Column("finalized_at", UTC_TS, nullable=True),
        sa.Column("amount_paid_minor", sa.Integer(), nullable=False),
        sa.Column("paid_at", UTC_TS, nullable=True),
        sa.Column("last_payment_error", sa.String(length=80), nullable=True),
        sa.Column("payment_failed_at", UTC_TS, nullable=True),
        sa.Column("synced_at", UTC_TS, nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("failed_at", UTC_TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_subscription_invoices_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["subscription_plans.id"], name=op.f("fk_subscription_invoices_plan_id_subscription_plans")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["subscription_runs.id"], name=op.f("fk_subscription_invoices_run_id_subscription_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription_invoices")),
        sa.UniqueConstraint(
            "organization_id", "quarter", name=op.f("uq_subscription_invoices_organization_id_quarter")
        ),
        sa.UniqueConstraint("stripe_invoice_id", name=op.f("uq_subscription_invoices_stripe_invoice_id")),
    )
    op.create_index("ix_subscription_invoices_run_state", "subscription_invoices", ["run_id", "state"])


def downgrade() -> None:
    op.drop_index("ix_subscription_invoices_run_state", table_name="subscription_invoices")
    op.drop_table("subscription_invoices")
    op.drop_index(op.f("ix_org_subscriptions_plan_id"), table_name="org_subscriptions")
    op.drop_table("org_subscriptions")
    op.drop_table("subscription_runs")
    op.drop_table("subscription_plans")
