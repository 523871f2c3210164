"""Payments: owners' Stripe Connect accounts, received Stripe events, invoicing switch dates.

Revision ID: 0017_payments
Revises: 0016_sessions_page
Create Date: 2026-12-02 07:00:00
"""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

import ladeportal.db.base

revision: str = "0017_payments"
down_revision: str | Sequence[str] | None = "0016_sessions_page"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _at(name: str, nullable: bool) -> sa.Column[datetime]:
    return sa.Column(name, ladeportal.db.base.UtcDateTime(timezone=True), nullable=nullable)


def _org_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["organization_id"],
        ["organizations.id"],
        name=op.f(f"fk_{table}_organization_id_organizations"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "stripe_accounts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("business_type", sa.String(length=32), nullable=False),
        sa.Column("charges_enabled", sa.Boolean(), nullable=False),
        sa.Column("payouts_enabled", sa.Boolean(), nullable=False),
        sa.Column("details_submitted", sa.Boolean(), nullable=False),
        sa.Column("currently_due", sa.JSON(), nullable=False),
        sa.Column("past_due", sa.JSON(), nullable=False),
        sa.Column("eventually_due", sa.JSON(), nullable=False),
        sa.Column("pending_verification", sa.JSON(), nullable=False),
        _at("current_deadline", True),
        sa.Column("disabled_reason", sa.String(length=80), nullable=True),
        sa.Column("state", sa.String(length=24), nullable=False),
        _at("synced_at", True),
        sa.Column("last_error_code", sa.String(length=80), nullable=True),
        sa.Column("links_made", sa.Integer(), server_default="0", nullable=False),
        _at("created_at", False),
        _at("updated_at", False),
        _org_fk("stripe_accounts"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stripe_accounts")),
        sa.UniqueConstraint("organization_id", name=op.f("uq_stripe_accounts_organization_id")),
        sa.UniqueConstraint("account_id", name=op.f("uq_stripe_accounts_account_id")),
    )
    op.create_index(op.f("ix_stripe_accounts_state"), "stripe_accounts", ["state"], unique=False)
    op.create_table(
        "stripe_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=True),
        sa.Column("endpoint", sa.String(length=16), nullable=False),
        _at("received_at", False),
        _at("processed_at", True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stripe_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_stripe_events_event_id")),
    )
    op.create_index("ix_stripe_events_account", "stripe_events", ["account"], unique=False)
    op.create_table(
        "invoicing_switch_dates",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("switch_date", sa.Date(), nullable=False),
        sa.Column("set_by_user_id", sa.Uuid(), nullable=True),
        _at("updated_at", False),
        _org_fk("invoicing_switch_dates"),
        sa.ForeignKeyConstraint(
            ["set_by_user_id"], ["users.id"], name=op.f("fk_invoicing_switch_dates_set_by_user_id_users")
        ),
        sa.PrimaryKeyConstraint("organization_id", name=op.f("pk_invoicing_switch_dates")),
    )
    op.create_table(
        "payment_reminders",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("reminder", sa.String(length=80), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        _at("sent_at", False),
        _org_fk("payment_reminders"),
        sa.PrimaryKeyConstraint("organization_id", "reminder", name=op.f("pk_payment_reminders")),
    )


def downgrade() -> None:
    op.drop_table("payment_reminders")
    op.drop_table("invoicing_switch_dates")
    op.drop_index("ix_stripe_events_account", table_name="stripe_events")
    op.drop_table("stripe_events")
    op.drop_index(op.f("ix_stripe_accounts_state"), table_name="stripe_accounts")
    op.drop_table("stripe_accounts")
