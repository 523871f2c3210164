"""Alerts for owners: what is wrong, who was told, who wants to be told.

Revision ID: 0015_alerts
Revises: 0014_charger_tools
Create Date: 2026-12-02 03:40:00
"""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

import ladeportal.db.base

revision: str = "0015_alerts"
down_revision: str | Sequence[str] | None = "0014_charger_tools"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHANNEL = sa.Enum("off", "sms", "email", name="channel", native_enum=False, length=8)


def _at(name: str, nullable: bool) -> sa.Column[datetime]:
    return sa.Column(name, ladeportal.db.base.UtcDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject_key", sa.String(length=80), nullable=False),
        sa.Column("charge_point_id", sa.Uuid(), nullable=True),
        sa.Column("connector_number", sa.Integer(), nullable=True),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.String(length=200), nullable=True),
        _at("opened_at", False),
        _at("detected_at", False),
        _at("resolved_at", True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_alerts_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["charge_point_id"],
            ["charge_points.id"],
            name=op.f("fk_alerts_charge_point_id_charge_points"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["charging_sessions.id"],
            name=op.f("fk_alerts_session_id_charging_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
    )
    op.create_index("ix_alerts_org_resolved", "alerts", ["organization_id", "resolved_at"], unique=False)
    op.create_index(
        "uq_alerts_open_subject",
        "alerts",
        ["organization_id", "kind", "subject_key"],
        unique=True,
        sqlite_where=sa.text("resolved_at IS NULL"),
        postgresql_where=sa.text("resolved_at IS NULL"),
    )
    op.create_table(
        "alert_settings",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("offline_minutes", sa.Integer(), nullable=False),
        _at("updated_at", False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_alert_settings_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organization_id", name=op.f("pk_alert_settings")),
    )
    op.create_table(
        "alert_preferences",
        sa.Column("membership_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("channel", _CHANNEL, nullable=False),
        _at("last_notified_at", True),
        _at("updated_at", False),
        sa.ForeignKeyConstraint(
            ["membership_id"],
            ["memberships.id"],
            name=op.f("fk_alert_preferences_membership_id_memberships"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_alert_preferences_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("membership_id", name=op.f("pk_alert_preferences")),
    )
    op.create_index(
        op.f("ix_alert_preferences_organization_id"), "alert_preferences", ["organization_id"], unique=False
    )
    op.create_table(
        "alert_notifications",
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("membership_id", sa.Uuid(), nullable=False),
        sa.Column("channel", _CHANNEL, nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        _at("notified_at", False),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name=op.f("fk_alert_notifications_alert_id_alerts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["membership_id"],
            ["memberships.id"],
            name=op.f("fk_alert_notifications_membership_id_memberships"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("alert_id", "membership_id", name=op.f("pk_alert_notifications")),
    )


def downgrade() -> None:
    op.drop_table("alert_notifications")
    op.drop_index(op.f("ix_alert_preferences_organization_id"), table_name="alert_preferences")
    op.drop_table("alert_preferences")
    op.drop_table("alert_settings")
    op.drop_index("uq_alerts_open_subject", table_name="alerts")
    op.drop_index("ix_alerts_org_resolved", table_name="alerts")
    op.drop_table("alerts")
