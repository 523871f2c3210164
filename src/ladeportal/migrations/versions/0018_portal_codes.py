"""Portal follow-ups (placeholder kept when nothing needs a schema change).

Revision ID: 0018_portal_codes
Revises: 0017_payments
Create Date: 2026-12-02 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision: str = "0018_portal_codes"
down_revision: str | Sequence[str] | None = "0017_payments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
