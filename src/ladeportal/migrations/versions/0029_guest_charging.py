"""Guest charging at public chargers: openings, connector codes, the hold amount, guests' charges.

Revision ID: 0029_guest_charging
Revises: 0028_enduser_app
Create Date: 2026-12-02 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ladeportal.db.base

revision: str = "0029_guest_charging"
down_revision: str | Sequence[str] | None = "0028_enduser_app"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TS = ladeportal.db.base.UtcDateTime(timezone=True)


def _fk(table: str, column: str, target: str, ondelete: str = "CASCADE") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "guest_settings",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("hold_minor", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTC_TS, nullable=False),
        _fk("guest_settings", "organization_id", "organizations"),
        sa.PrimaryKeyConstraint("organization_id", name=op.f("pk_guest_settings")),
    )
    op.create_table(
        "guest_openings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("site_id", sa.Uuid(), nullable=True),
        sa.Column("charge_point_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", UTC_TS, nullable=False),
        _fk("guest_openings", "organization_id", "organizations"),
        _fk("guest_openings", "site_id", "sites"),
        _fk("guest_openings", "charge_point_id", "charge_points"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guest_openings")),
        sa.UniqueConstraint("site_id", name=op.f("uq_guest_openings_site_id")),
        sa.UniqueConstraint("charge_point_id", name=op.f("uq_guest_openings_charge_point_id")),
    )
    op.create_index(op.f("ix_guest_openings_organization_id"), "guest_openings", ["organization_id"], unique=False)
    op.create_table(
        "guest_connector_codes",
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("charge_point_id", sa.Uuid(), nullable=False),
        sa.Column("connector_number", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_TS, nullable=False),
        _fk("guest_connector_codes", "organization_id", "organizations"),
        _fk("guest_connector_codes", "charge_point_id", "charge_points"),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_guest_connector_codes")),
        sa.UniqueConstraint(
            "charge_point_id",
            "connector_number",
            name=op.f("uq_guest_connector_codes_charge_point_id_connector_number"),
        ),
    )
    op.create_index(
        op.f("ix_guest_connector_codes_organization_id"), "guest_connector_codes", ["organization_id"], unique=False
    )
    op.create_table(
        "guest_charges",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("charge_point_id", sa.Uuid(), nullable=False),
        sa.Column("connector_number", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("phone", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("browser_hash", sa.String(length=64), nullable=False),
        sa.Column("id_tag", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("hold_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("checkout_session_id", sa.String(length=255), nullable=True),
        sa.Column("payment_intent_id", sa.String(length=255), nullable=True),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("cost_minor", sa.Integer(), nullable=True),
        sa.Column("captured_minor", sa.Integer(), nullable=True),
        sa.Column("shortfall_minor", sa.Integer(), nullable=True),
        sa.Column("fee_minor", sa.Integer(), nullable=True),
        sa.Column("receipt_token", sa.String(length=43), nullable=False),
        sa.Column("failure", sa.String(length=200), nullable=True),
        sa.Column("created_at", UTC_TS, nullable=False),
        sa.Column("authorised_at", UTC_TS, nullable=True),
        sa.Column("start_sent_at", UTC_TS, nullable=True),
        sa.Column("finished_at", UTC_TS, nullable=True),
        _fk("guest_charges", "organization_id", "organizations"),
        _fk("guest_charges", "charge_point_id", "charge_points"),
        _fk("guest_charges", "session_id", "charging_sessions", ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guest_charges")),
        sa.UniqueConstraint("browser_hash", name=op.f("uq_guest_charges_browser_hash")),
        sa.UniqueConstraint("id_tag", name=op.f("uq_guest_charges_id_tag")),
        sa.UniqueConstraint("checkout_session_id", name=op.f("uq_guest_charges_checkout_session_id")),
        sa.UniqueConstraint("receipt_token", name=op.f("uq_guest_charges_receipt_token")),
    )
    op.create_index("ix_guest_charges_org_created", "guest_charges", ["organization_id", "created_at"], unique=False)
    op.create_index("ix_guest_charges_state", "guest_charges", ["state"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_guest_charges_state", table_name="guest_charges")
    op.drop_index("ix_guest_charges_org_created", table_name="guest_charges")
    op.drop_table("guest_charges")
    op.drop_index(op.f("ix_guest_connector_codes_organization_id"), table_name="guest_connector_codes")
    op.drop_table("guest_connector_codes")
    op.drop_index(op.f("ix_guest_openings_organization_id"), table_name="guest_openings")
    op.drop_table("guest_openings")
    op.drop_table("guest_settings")
