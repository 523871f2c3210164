"""Terms versions, acceptances, per-organisation deadline extensions and the notices sent."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ladeportal.db.base import Base, TimestampMixin, utcnow


class TermsKind(enum.StrEnum):
    service = "service"  # terms of service
    dpa = "dpa"  # data processing agreement


class AfterDeadline(enum.StrEnum):
    remind = "remind"  # reminders only
    read_only = "read_only"  # the organisation's portal and API refuse changes until accepted


class TermsVersion(TimestampMixin, Base):
    """One version of one kind of terms. A draft may be edited; once published it never changes."""

    __tablename__ = "terms_versions"
    __table_args__ = (UniqueConstraint("kind", "label"), Index("ix_terms_versions_published", "published_at"))

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[TermsKind] = mapped_column(Enum(TermsKind, native_enum=False, length=16))
    label: Mapped[str] = mapped_column(String(40))  # "2027-1": how staff and owners name the version
    title_nb: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    body_nb: Mapped[str] = mapped_column(Text)
    body_en: Mapped[str] = mapped_column(Text)
    party_name: Mapped[str] = mapped_column(String(200))
    party_org_number: Mapped[str] = mapped_column(String(20))
    effective_on: Mapped[date] = mapped_column()
    accept_by: Mapped[date] = mapped_column()
    after_deadline: Mapped[AfterDeadline] = mapped_column(Enum(AfterDeadline, native_enum=False, length=16))
    published_at: Mapped[datetime | None] = mapped_column()
    created_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class TermsAcceptance(Base):
    """An organisation's acceptance of one version, by one of its administrators."""

    __tablename__ = "terms_acceptances"
    __table_args__ = (UniqueConstraint("version_id", "organization_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    version_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("terms_versions.id"))
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    accepted_by_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    accepted_at: Mapped[datetime] = mapped_column(default=utcnow)
    ip_address: Mapped[str] = mapped_column(String(64))


class TermsExtension(Base):
    """A later "accept by" date for one organisation, set by staff with a reason."""

    __tablename__ = "terms_extensions"
    __table_args__ = (UniqueConstraint("version_id", "organization_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    version_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("terms_versions.id"))
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    accept_by: Mapped[date] = mapped_column()
    reason: Mapped[str] = mapped_column(String(500))
    set_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    set_at: Mapped[datetime] = mapped_column(default=utcnow)


class TermsNotice(Base):
    """A notice (publication, or a reminder N days before the date) sent to one organisation's
    administrators; the unique key makes the job send each one once, however often it runs."""

    __tablename__ = "terms_notices"
    __table_args__ = (UniqueConstraint("version_id", "organization_id", "notice"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    version_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("terms_versions.id"))
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    notice: Mapped[str] = mapped_column(String(40))  # "published", "remind:7", "remind:1", "overdue"
    recipients: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
