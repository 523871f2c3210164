"""E-mail as a channel: delivery records.

Revision ID: 0012_email_channel
Revises: 0011_charger_hardening
Create Date: 2026-12-02 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ladeportal.db.base

revision: str = "0012_email_channel"
down_revision: str | Sequence[str] | None = "0011_charger_hardening"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "email_deliveries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=True),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("template", sa.String(length=60), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column(
            "state",
            sa.Enum("queued", "sent", "failed", name="deliverystate", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("dedupe_key", sa.String(length=200), nullable=True),
        sa.Column("created_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_attempt_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_email_deliveries_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_deliveries")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_email_deliveries_dedupe_key")),
    )
    op.create_index(
        "ix_email_deliveries_org_created", "email_deliveries", ["organization_id", "created_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_email_deliveries_org_created", table_name="email_deliveries")
    op.drop_table("email_deliveries")
