"""Login and messaging hardening: per-browser login-code allowances, alerts, organisations' SMS history.

Revision ID: 0010_auth_hardening
Revises: 0009_membership_profile
Create Date: 2026-12-02 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ladeportal.db.base

revision: str = "0010_auth_hardening"
down_revision: str | Sequence[str] | None = "0009_membership_profile"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("login_codes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("device_key", sa.String(length=64), nullable=True))
        # Existing rows came from browsers nobody knew: they count against the shared allowance.
        batch_op.add_column(sa.Column("trusted_device", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("login_codes", schema=None) as batch_op:
        batch_op.alter_column("trusted_device", server_default=None)
    with op.batch_alter_table("login_send_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("alerted_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=True))
    op.create_table(
        "login_trusted_devices",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("device_key", sa.String(length=64), nullable=False),
        sa.Column("created_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_login_trusted_devices_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "device_key", name=op.f("pk_login_trusted_devices")),
    )
    op.create_table(
        "org_sms_sends",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("recipient_key", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("sent_at", ladeportal.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_org_sms_sends_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_sms_sends")),
    )
    op.create_index("ix_org_sms_sends_org_sent", "org_sms_sends", ["organization_id", "sent_at"], unique=False)
    op.create_index(op.f("ix_org_sms_sends_recipient_key"), "org_sms_sends", ["recipient_key"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_org_sms_sends_recipient_key"), table_name="org_sms_sends")
    op.drop_index("ix_org_sms_sends_org_sent", table_name="org_sms_sends")
    op.drop_table("org_sms_sends")
    op.drop_table("login_trusted_devices")
    with op.batch_alter_table("login_send_keys", schema=None) as batch_op:
        batch_op.drop_column("alerted_at")
    with op.batch_alter_table("login_codes", schema=None) as batch_op:
        batch_op.drop_column("trusted_device")
        batch_op.drop_column("device_key")
