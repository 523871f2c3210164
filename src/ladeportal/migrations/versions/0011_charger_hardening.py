"""Charger hardening: per-charger OCPP settings and flags.

Revision ID: 0011_charger_hardening
Revises: 0010_auth_hardening
Create Date: 2026-12-02 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_charger_hardening"
down_revision: str | Sequence[str] | None = "0010_auth_hardening"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("charge_points", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fallback_subprotocol", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("charge_points", schema=None) as batch_op:
        batch_op.drop_column("fallback_subprotocol")
