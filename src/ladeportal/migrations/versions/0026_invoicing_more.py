"""Invoicing: payouts linked to invoices, voided dates for reversals, customer details at Stripe.

Revision ID: 0026_invoicing_more
Revises: 0025_reports
Create Date: 2026-12-02 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ladeportal.db.base

revision: str = "0026_invoicing_more"
down_revision: str | Sequence[str] | None = "0025_reports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("voided_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("stripe_payment_intent_id", sa.String(length=64), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_invoices_stripe_payment_intent_id"), ["stripe_payment_intent_id"], unique=False
        )
        batch_op.create_index("ix_invoices_org_period", ["organization_id", "period_month"], unique=False)
    with op.batch_alter_table("billing_customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("details_digest", sa.String(length=64), nullable=True))
    op.create_table(
        "payout_invoices",
        sa.Column("payout_id", sa.String(length=64), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_payout_invoices_invoice_id_invoices"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_payout_invoices_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["payout_id"], ["payouts.id"], name=op.f("fk_payout_invoices_payout_id_payouts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("payout_id", "invoice_id", name=op.f("pk_payout_invoices")),
    )
    op.create_index("ix_payout_invoices_invoice", "payout_invoices", ["invoice_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_payout_invoices_invoice", table_name="payout_invoices")
    op.drop_table("payout_invoices")
    with op.batch_alter_table("billing_customers", schema=None) as batch_op:
        batch_op.drop_column("details_digest")
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_index("ix_invoices_org_period")
        batch_op.drop_index(batch_op.f("ix_invoices_stripe_payment_intent_id"))
        batch_op.drop_column("stripe_payment_intent_id")
        batch_op.drop_column("voided_at")
