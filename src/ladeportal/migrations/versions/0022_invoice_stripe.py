"""Invoices at Stripe (placeholder kept when nothing needs a schema change).

Revision ID: 0022_invoice_stripe
Revises: 0021_invoice_runs
Create Date: 2026-12-02 12:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision: str = "0022_invoice_stripe"
down_revision: str | Sequence[str] | None = "0021_invoice_runs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
