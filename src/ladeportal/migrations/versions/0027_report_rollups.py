"""Reports: the price plan on every aggregate row, monthly sums per dimension, monthly load profile.

The existing aggregates have no plan and the new tables are empty, so the report tables are emptied and
the watermark forgotten: the reports job builds them again from the sessions, a bounded batch per run,
and the reports page says how far it has come. No manual rebuild is needed after the upgrade.

Revision ID: 0027_report_rollups
Revises: 0026_invoicing_more
Create Date: 2026-12-02 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027_report_rollups"
down_revision: str | Sequence[str] | None = "0026_invoicing_more"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_REBUILT = ("report_session_days", "report_daily", "report_monthly", "report_site_hours", "report_watermarks")


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
    for table in _REBUILT:
        op.execute(sa.table(table).delete())
    for table in ("report_session_days", "report_daily", "report_monthly"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("plan_id", sa.Uuid(), nullable=True))
    op.create_table(
        "report_monthly_by",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("site_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("dimension", sa.String(length=8), nullable=False),
        sa.Column("dimension_id", sa.Uuid(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("sessions", sa.Integer(), nullable=False),
        sa.Column("energy_wh", sa.BigInteger(), nullable=False),
        sa.Column("plugged_seconds", sa.BigInteger(), nullable=False),
        sa.Column("charging_seconds", sa.BigInteger(), nullable=False),
        sa.Column("gross_minor", sa.BigInteger(), nullable=False),
        sa.Column("net_minor", sa.BigInteger(), nullable=False),
        sa.Column("vat_minor", sa.BigInteger(), nullable=False),
        *_org_site_fks("report_monthly_by"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_monthly_by")),
    )
    op.create_index(
        "ix_report_monthly_by_org_dim_month", "report_monthly_by", ["organization_id", "dimension", "month"]
    )
    op.create_index("ix_report_monthly_by_site_dim_month", "report_monthly_by", ["site_id", "dimension", "month"])
    op.create_table(
        "report_monthly_hours",
        sa.Column("site_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("local_hour", sa.SmallInteger(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("energy_wh", sa.BigInteger(), nullable=False),
        sa.Column("plugged_seconds", sa.BigInteger(), nullable=False),
        sa.Column("bought_micro", sa.BigInteger(), nullable=False),
        sa.Column("unpriced_hours", sa.Integer(), nullable=False),
        *_org_site_fks("report_monthly_hours"),
        sa.PrimaryKeyConstraint("site_id", "month", "weekday", "local_hour", name=op.f("pk_report_monthly_hours")),
    )
    op.create_index("ix_report_monthly_hours_org_month", "report_monthly_hours", ["organization_id", "month"])


def downgrade() -> None:
    op.drop_index("ix_report_monthly_hours_org_month", table_name="report_monthly_hours")
    op.drop_table("report_monthly_hours")
    op.drop_index("ix_report_monthly_by_site_dim_month", table_name="report_monthly_by")
    op.drop_index("ix_report_monthly_by_org_dim_month", table_name="report_monthly_by")
    op.drop_table("report_monthly_by")
    for table in _REBUILT:
        op.execute(sa.table(table).delete())
    for table in ("report_monthly", "report_daily", "report_session_days"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("plan_id")
