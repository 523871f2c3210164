"""Versioned terms with the platform company: versions, acceptances, extended dates, notices sent.

Revision ID: 0031_terms
Revises: 0030_subscriptions
Create Date: 2026-12-02 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ladeportal.db.base

revision: str = "0031_terms"
down_revision: str | Sequence[str] | None = "0030_subscriptions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


UTC_TS = ladeportal.db.base.UtcDateTime(timezone=True)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"))


def upgrade() -> None:
    op.create_table(
        "terms_versions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.Enum("service", "dpa", name="termskind", native_enum=False, length=16), nullable=False),
        sa.Column("label", sa.String(length=40), nullable=False),
        sa.Column("title_nb", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("body_nb", sa.Text(), nullable=False),
        sa.Column("body_en", sa.Text(), nullable=False),
        sa.Column("party_name", sa.String(length=200), nullable=False),
        sa.Column("party_org_number", sa.String(length=20), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("accept_by", sa.Date(), nullable=False),
        sa.Column(
            "after_deadline",
            sa.Enum("remind", "read_only", name="afterdeadline", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("published_at", UTC_TS, nullable=True),
        sa.Column("created_by_user_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", UTC_TS, nullable=False),
        sa.Column("updated_at", UTC_TS, nullable=False),
        _fk("terms_versions", "created_by_user_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_terms_versions")),
        sa.UniqueConstraint("kind", "label", name=op.f("uq_terms_versions_kind_label")),
    )
    op.create_index("ix_terms_versions_published", "terms_versions", ["published_at"], unique=False)
    op.create_table(
        "terms_acceptances",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("accepted_by_user_id", sa.Uuid(), nullable=False),
        sa.Column("accepted_at", UTC_TS, nullable=False),
        sa.Column("ip_address", sa.String(length=64), nullable=False),
        _fk("terms_acceptances", "version_id", "terms_versions"),
        _fk("terms_acceptances", "organization_id", "organizations"),
        _fk("terms_acceptances", "accepted_by_user_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_terms_acceptances")),
        sa.UniqueConstraint(
            "version_id", "organization_id", name=op.f("uq_terms_acceptances_version_id_organization_id")
        ),
    )
    op.create_index(
        op.f("ix_terms_acceptances_organization_id"), "terms_acceptances", ["organization_id"], unique=False
    )
    op.create_table(
        "terms_extensions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("accept_by", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("set_by_user_id", sa.Uuid(), nullable=True),
        sa.Column("set_at", UTC_TS, nullable=False),
        _fk("terms_extensions", "version_id", "terms_versions"),
        _fk("terms_extensions", "organization_id", "organizations"),
        _fk("terms_extensions", "set_by_user_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_terms_extensions")),
        sa.UniqueConstraint(
            "version_id", "organization_id", name=op.f("uq_terms_extensions_version_id_organization_id")
        ),
    )
    op.create_table(
        "terms_notices",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("notice", sa.String(length=40), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("sent_at", UTC_TS, nullable=False),
        _fk("terms_notices", "version_id", "terms_versions"),
        _fk("terms_notices", "organization_id", "organizations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_terms_notices")),
        sa.UniqueConstraint(
            "version_id", "organization_id", "notice", name=op.f("uq_terms_notices_version_id_organization_id_notice")
        ),
    )


def downgrade() -> None:
    op.drop_table("terms_notices")
    op.drop_table("terms_extensions")
    op.drop_index(op.f("ix_terms_acceptances_organization_id"), table_name="terms_acceptances")
    op.drop_table("terms_acceptances")
    op.drop_index("ix_terms_versions_published", table_name="terms_versions")
    op.drop_table("terms_versions")
