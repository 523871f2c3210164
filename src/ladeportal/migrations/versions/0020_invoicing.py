"""Invoicing members: billing settings, billable items, invoice runs, invoices and what is on them,
customers, credits, reminders, payouts; the object a Stripe event is about.

Revision ID: 0020_invoicing
Revises: 0019_session_reviews
Create Date: 2026-12-02 12:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ladeportal.db.base

revision: str = "0020_invoicing"
down_revision: str | Sequence[str] | None = "0019_session_reviews"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "billing_settings",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("invoice_day", sa.Integer(), nullable=False),
        sa.Column("days_until_due", sa.Integer(), nullable=False),
        sa.Column("invoice_text", sa.String(length=500), nullable=True),
        sa.Column("footer", sa.String(length=500), nullable=True),
        sa.Column(
            "line_mode",
            sa.Enum("per_session", "per_site_month", name="linemode", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("minimum_amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("platform_fee_bp", sa.Integer(), nullable=True),
        sa.Column("auto_approve", sa.Boolean(), nullable=False),
        sa.Column("reminder_days", sa.JSON(), nullable=False),
        sa.Column("block_after_days", sa.Integer(), nullable=True),
        sa.Column("updated_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_billing_settings_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["updated_by"], ["users.id"], name=op.f("fk_billing_settings_updated_by_users")),
        sa.PrimaryKeyConstraint("organization_id", name=op.f("pk_billing_settings")),
    )
    op.create_table(
        "invoice_runs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("period_month", sa.Date(), nullable=False),
        sa.Column(
            "state",
            sa.Enum("awaiting_approval", "running", "done", name="runstate", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("cutoff_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("approved_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("approved_by", sa.Uuid(), nullable=True),
        sa.Column("automatic", sa.Boolean(), nullable=False),
        sa.Column("members_total", sa.Integer(), nullable=False),
        sa.Column("invoices_done", sa.Integer(), nullable=False),
        sa.Column("carried_over", sa.Integer(), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("started_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_error_code", sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(["approved_by"], ["users.id"], name=op.f("fk_invoice_runs_approved_by_users")),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_invoice_runs_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_runs")),
        sa.UniqueConstraint(
            "organization_id", "period_month", name=op.f("uq_invoice_runs_organization_id_period_month")
        ),
    )
    with op.batch_alter_table("invoice_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invoice_runs_organization_id"), ["organization_id"], unique=False)

    op.create_table(
        "payouts",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("arrival_date", sa.Date(), nullable=False),
        sa.Column("stripe_created_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_payouts_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payouts")),
    )
    with op.batch_alter_table("payouts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payouts_organization_id"), ["organization_id"], unique=False)

    op.create_table(
        "billing_customers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("membership_id", sa.Uuid(), nullable=False),
        sa.Column("stripe_customer_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["membership_id"], ["memberships.id"], name=op.f("fk_billing_customers_membership_id_memberships")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_billing_customers_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_customers")),
        sa.UniqueConstraint("membership_id", name=op.f("uq_billing_customers_membership_id")),
        sa.UniqueConstraint("stripe_customer_id", name=op.f("uq_billing_customers_stripe_customer_id")),
    )
    with op.batch_alter_table("billing_customers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_billing_customers_organization_id"), ["organization_id"], unique=False)

    op.create_table(
        "invoices",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("run_id", sa.Uuid(), nullable=True),
        sa.Column("membership_id", sa.Uuid(), nullable=False),
        sa.Column("period_month", sa.Date(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "pending", "open", "paid", "void", "uncollectible", name="invoicestate", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("net_minor", sa.BigInteger(), nullable=False),
        sa.Column("vat_minor", sa.BigInteger(), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("energy_wh", sa.BigInteger(), nullable=False),
        sa.Column("application_fee_minor", sa.BigInteger(), nullable=False),
        sa.Column("amount_paid_minor", sa.BigInteger(), nullable=False),
        sa.Column("amount_credited_minor", sa.BigInteger(), nullable=False),
        sa.Column("stripe_customer_id", sa.String(length=64), nullable=True),
        sa.Column("stripe_invoice_id", sa.String(length=64), nullable=True),
        sa.Column("number", sa.String(length=40), nullable=True),
        sa.Column("hosted_url", sa.String(length=500), nullable=True),
        sa.Column("pdf_url", sa.String(length=500), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("finalized_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("paid_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("payment_failed_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_payment_error", sa.String(length=80), nullable=True),
        sa.Column("notified_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("synced_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_error_code", sa.String(length=80), nullable=True),
        sa.Column("created_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["membership_id"], ["memberships.id"], name=op.f("fk_invoices_membership_id_memberships")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_invoices_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["run_id"], ["invoice_runs.id"], name=op.f("fk_invoices_run_id_invoice_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoices")),
        sa.UniqueConstraint("run_id", "membership_id", name=op.f("uq_invoices_run_id_membership_id")),
        sa.UniqueConstraint("stripe_invoice_id", name=op.f("uq_invoices_stripe_invoice_id")),
    )
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invoices_membership_id"), ["membership_id"], unique=False)
        batch_op.create_index("ix_invoices_org_state", ["organization_id", "state"], unique=False)

    op.create_table(
        "invoice_credits",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind", sa.Enum("credit_note", "refund", name="creditkind", native_enum=False, length=16), nullable=False
        ),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column(
            "state",
            sa.Enum("pending", "done", "failed", name="creditstate", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("stripe_id", sa.String(length=64), nullable=True),
        sa.Column("last_error_code", sa.String(length=80), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_invoice_credits_created_by_users")),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"], name=op.f("fk_invoice_credits_invoice_id_invoices")),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_invoice_credits_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_credits")),
        sa.UniqueConstraint("stripe_id", name=op.f("uq_invoice_credits_stripe_id")),
    )
    with op.batch_alter_table("invoice_credits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invoice_credits_invoice_id"), ["invoice_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoice_credits_organization_id"), ["organization_id"], unique=False)

    op.create_table(
        "invoice_reminders",
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("reminder", sa.String(length=40), nullable=False),
        sa.Column("sent_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_invoice_reminders_invoice_id_invoices"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("invoice_id", "reminder", name=op.f("pk_invoice_reminders")),
    )
    op.create_table(
        "billable_items",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("membership_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("session", "plan_fee", "manual", name="itemkind", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("source_key", sa.String(length=120), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("site_id", sa.Uuid(), nullable=True),
        sa.Column("plan_id", sa.Uuid(), nullable=True),
        sa.Column("period_month", sa.Date(), nullable=False),
        sa.Column("occurred_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("energy_wh", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("vat_rate_bp", sa.Integer(), nullable=False),
        sa.Column("net_minor", sa.BigInteger(), nullable=False),
        sa.Column("vat_minor", sa.BigInteger(), nullable=False),
        sa.Column("gross_minor", sa.BigInteger(), nullable=False),
        sa.Column("created_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["membership_id"], ["memberships.id"], name=op.f("fk_billable_items_membership_id_memberships")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_billable_items_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["plan_id"], ["price_plans.id"], name=op.f("fk_billable_items_plan_id_price_plans")),
        sa.ForeignKeyConstraint(
            ["session_id"], ["charging_sessions.id"], name=op.f("fk_billable_items_session_id_charging_sessions")
        ),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_billable_items_site_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billable_items")),
        sa.UniqueConstraint("session_id", name=op.f("uq_billable_items_session_id")),
        sa.UniqueConstraint("source_key", name=op.f("uq_billable_items_source_key")),
    )
    with op.batch_alter_table("billable_items", schema=None) as batch_op:
        batch_op.create_index("ix_billable_items_org_member", ["organization_id", "membership_id"], unique=False)

    op.create_table(
        "invoiced_items",
        sa.Column("item_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"], name=op.f("fk_invoiced_items_invoice_id_invoices")),
        sa.ForeignKeyConstraint(
            ["item_id"], ["billable_items.id"], name=op.f("fk_invoiced_items_item_id_billable_items")
        ),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_invoiced_items")),
    )
    with op.batch_alter_table("invoiced_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invoiced_items_invoice_id"), ["invoice_id"], unique=False)

    with op.batch_alter_table("stripe_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("object_id", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("stripe_events", schema=None) as batch_op:
        batch_op.drop_column("object_id")

    with op.batch_alter_table("invoiced_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoiced_items_invoice_id"))

    op.drop_table("invoiced_items")
    with op.batch_alter_table("billable_items", schema=None) as batch_op:
        batch_op.drop_index("ix_billable_items_org_member")

    op.drop_table("billable_items")
    op.drop_table("invoice_reminders")
    with op.batch_alter_table("invoice_credits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_credits_organization_id"))
        batch_op.drop_index(batch_op.f("ix_invoice_credits_invoice_id"))

    op.drop_table("invoice_credits")
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_index("ix_invoices_org_state")
        batch_op.drop_index(batch_op.f("ix_invoices_membership_id"))

    op.drop_table("invoices")
    with op.batch_alter_table("billing_customers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_billing_customers_organization_id"))

    op.drop_table("billing_customers")
    with op.batch_alter_table("payouts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payouts_organization_id"))

    op.drop_table("payouts")
    with op.batch_alter_table("invoice_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_runs_organization_id"))

    op.drop_table("invoice_runs")
    op.drop_table("billing_settings")
