"""Spot price corrections: sessions priced on the fallback are re-priced with a recorded correction.

Revision ID: 0013_pricing_corrections
Revises: 0012_email_channel
Create Date: 2026-12-02 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ladeportal.db.base

revision: str = "0013_pricing_corrections"
down_revision: str | Sequence[str] | None = "0012_email_channel"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("session_pricings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("spot_area", sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column("awaits_spot_prices", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_index("ix_session_pricings_awaiting_spot", ["spot_area", "awaits_spot_prices"], unique=False)
    with op.batch_alter_table("session_pricings", schema=None) as batch_op:
        batch_op.alter_column("awaits_spot_prices", server_default=None)
    _flag_sessions_priced_on_the_fallback()

    op.create_table(
        "session_price_corrections",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("data_digest", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("old_total_minor", sa.BigInteger(), nullable=True),
        sa.Column("new_total_minor", sa.BigInteger(), nullable=False),
        sa.Column("old_snapshot", sa.JSON(), nullable=False),
        sa.Column("new_snapshot", sa.JSON(), nullable=False),
        sa.Column("corrected_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("corrected_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_session_price_corrections_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["charging_sessions.id"],
            name=op.f("fk_session_price_corrections_session_id_charging_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_price_corrections")),
        sa.UniqueConstraint(
            "session_id", "data_digest", name=op.f("uq_session_price_corrections_session_id_data_digest")
        ),
    )
    op.create_index(
        op.f("ix_session_price_corrections_organization_id"),
        "session_price_corrections",
        ["organization_id"],
        unique=False,
    )


def _flag_sessions_priced_on_the_fallback() -> None:
    """Sessions priced before this revision say in their snapshot whether a spot price was missing;
    only those flagged for review can be such sessions, so only their snapshots are read."""
    bind = op.get_bind()
    pricings = sa.table(
        "session_pricings",
        sa.column("session_id", sa.Integer()),
        sa.column("needs_review", sa.Boolean()),
        sa.column("spot_area", sa.String()),
        sa.column("awaits_spot_prices", sa.Boolean()),
    )
    sessions = sa.table("charging_sessions", sa.column("id", sa.Integer()), sa.column("cost_snapshot", sa.JSON()))
    rows = bind.execute(
        sa.select(sessions.c.id, sessions.c.cost_snapshot)
        .join(pricings, pricings.c.session_id == sessions.c.id)
        .where(pricings.c.needs_review == sa.true())
    ).all()
    for session_id, snapshot in rows:
        energy = ((snapshot or {}).get("plan") or {}).get("definition", {}).get("energy", {})
        if energy.get("type") != "spot":
            continue
        missing = any(w.get("code") == "spot_price_missing" for w in snapshot.get("warnings") or [])
        bind.execute(
            pricings.update()
            .where(pricings.c.session_id == session_id)
            .values(spot_area=energy.get("area"), awaits_spot_prices=missing)
        )


def downgrade() -> None:
    op.drop_index(op.f("ix_session_price_corrections_organization_id"), table_name="session_price_corrections")
    op.drop_table("session_price_corrections")
    with op.batch_alter_table("session_pricings", schema=None) as batch_op:
        batch_op.drop_index("ix_session_pricings_awaiting_spot")
        batch_op.drop_column("awaits_spot_prices")
        batch_op.drop_column("spot_area")
