"""Sessions page: indexes for its filters.

Revision ID: 0016_sessions_page
Revises: 0015_alerts
Create Date: 2026-12-02 03:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op

revision: str = "0016_sessions_page"
down_revision: str | Sequence[str] | None = "0015_alerts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_charging_sessions_site_started", "charging_sessions", ["site_id", "started_at"])
    op.create_index("ix_charging_sessions_group_started", "charging_sessions", ["group_id", "started_at"])


def downgrade() -> None:
    op.drop_index("ix_charging_sessions_group_started", table_name="charging_sessions")
    op.drop_index("ix_charging_sessions_site_started", table_name="charging_sessions")
