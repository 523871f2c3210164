"""Charger tools: firmware and diagnostics status, retirement.

Revision ID: 0014_charger_tools
Revises: 0013_pricing_corrections
Create Date: 2026-12-02 03:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014_charger_tools"
down_revision: str | Sequence[str] | None = "0013_pricing_corrections"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The latest firmware / diagnostics status of a charger (chargers/maintenance.py: latest_statuses).
    op.create_index(
        "ix_charger_notifications_cp_kind_at", "charger_notifications", ["charge_point_id", "kind", "received_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_charger_notifications_cp_kind_at", table_name="charger_notifications")
