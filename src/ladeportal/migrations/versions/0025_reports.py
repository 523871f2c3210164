"""Report aggregates: each session's share of each local day, daily and monthly sums, site hours, watermark.

Revision ID: 0025_reports
Revises: 0024_invoice_pages
Create Date: 2026-12-02 12:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ladeportal.db.base

revision: str = "0025_reports"
down_revision: str | Sequence[str] | None = "0024_invoice_pages"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TS = ladeportal.db.base.UtcDateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _amounts() -> list[sa.Column]:
    return [
        sa.Column("energy_wh", sa.BigInteger(), nullable=False),
        sa.Column("plugged_seconds", sa.BigInteger(), nullable=False),
        sa.Column("charging_seconds", sa.BigInteger(), nullable=False),
        sa.Column("gross_minor", sa.BigInteger(), nullable=False),
        sa.Column("net_minor", sa.BigInteger(), nullable=False),
        sa.Column("vat_minor", sa.BigInteger(), nullable=False),
    ]


def _org_site_fks(table: str) -> list[sa.ForeignKeyConstraint]:
    return [
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f(f"fk_{table}_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f(f"fk_{table}_site_id_sites"), ondelete="CASCADE"),
    ]


def upgrade() -> None:
    op.create_index("ix_charging_sessions_updated_at", "charging_sessions", ["updated_at"], unique=False)
    op.create_table(
        "report_session_days",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("site_id", sa.Uuid(), nullable=False),
        sa.Column("charge_point_id", sa.Uuid(), nullable=False),
        sa.Column("connector_number", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Uuid(), nullable=True),
        sa.Column("membership_id", sa.Uuid(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("started_here", sa.Boolean(), nullable=False),
        *_amounts(),
        sa.Column("hours", sa.JSON(), nullable=False),
        sa.Column("source_updated_at", UTC_TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["charging_sessions.id"],
            name=op.f("fk_report_session_days_session_id_charging_sessions"),
            ondelete="CASCADE",
        ),
        *_org_site_fks("report_session_days"),
        sa.PrimaryKeyConstraint("session_id", "day", name=op.f("pk_report_session_days")),
    )
    op.create_index("ix_report_session_days_site_day", "report_session_days", ["site_id", "day"], unique=False)
    op.create_table(
        "report_daily",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("site_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("charge_point_id", sa.Uuid(), nullable=False),
        sa.Column("connector_number", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Uuid(), nullable=True),
        sa.Column("membership_id", sa.Uuid(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("sessions", sa.Integer(), nullable=False),
        *_amounts(),
        *_org_site_fks("report_daily"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_daily")),
    )
    op.create_index("ix_report_daily_org_day", "report_daily", ["organization_id", "day"], unique=False)
    op.create_index("ix_report_daily_site_day", "report_daily", ["site_id", "day"], unique=False)
    op.create_table(
        "report_monthly",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("site_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("charge_point_id", sa.Uuid(), nullable=False),
        sa.Column("connector_number", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Uuid(), nullable=True),
        sa.Column("membership_id", sa.Uuid(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("sessions", sa.Integer(), nullable=False),
        *_amounts(),
        *_org_site_fks("report_monthly"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_monthly")),
    )
    op.create_index("ix_report_monthly_org_month", "report_monthly", ["organization_id", "month"], unique=False)
    op.create_index("ix_report_monthly_site_month", "report_monthly", ["site_id", "month"], unique=False)
    op.create_table(
        "report_site_hours",
        sa.Column("site_id", sa.Uuid(), nullable=False),
        sa.Column("hour_start", UTC_TS, nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("local_hour", sa.SmallInteger(), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("energy_wh", sa.BigInteger(), nullable=False),
        sa.Column("plugged_seconds", sa.BigInteger(), nullable=False),
        sa.Column("bought_micro", sa.BigInteger(), nullable=True),
        *_org_site_fks("report_site_hours"),
        sa.PrimaryKeyConstraint("site_id", "hour_start", name=op.f("pk_report_site_hours")),
    )
    op.create_index("ix_report_site_hours_org_day", "report_site_hours", ["organization_id", "day"], unique=False)
    op.create_table(
        "report_watermarks",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("seen_until", UTC_TS, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_report_watermarks")),
    )


def downgrade() -> None:
    op.drop_table("report_watermarks")
    op.drop_index("ix_report_site_hours_org_day", table_name="report_site_hours")
    op.drop_table("report_site_hours")
    op.drop_index("ix_report_monthly_site_month", table_name="report_monthly")
    op.drop_index("ix_report_monthly_org_month", table_name="report_monthly")
    op.drop_table("report_monthly")
    op.drop_index("ix_report_daily_site_day", table_name="report_daily")
    op.drop_index("ix_report_daily_org_day", table_name="report_daily")
    op.drop_table("report_daily")
    op.drop_index("ix_report_session_days_site_day", table_name="report_session_days")
    op.drop_table("report_session_days")
    op.drop_index("ix_charging_sessions_updated_at", table_name="charging_sessions")
