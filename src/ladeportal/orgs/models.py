"""Organisation and Site tables."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ladeportal.db.base import Base, TimestampMixin


class OrgKind(enum.StrEnum):
    housing_cooperative = "housing_cooperative"
    company = "company"
    other = "other"


PRICE_AREAS = ("NO1", "NO2", "NO3", "NO4", "NO5", "SE1", "SE2", "SE3", "SE4")


class Organization(TimestampMixin, Base):
    __tablename__ = "organizations"
    __table_args__ = (
        UniqueConstraint("country", "org_number"),
        CheckConstraint("vat_rate_bp >= 0 AND vat_rate_bp <= 10000", name="vat_rate_range"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[OrgKind] = mapped_column(Enum(OrgKind, native_enum=False, length=32))
    legal_name: Mapped[str] = mapped_column(String(200))
    org_number: Mapped[str] = mapped_column(String(20))
    country: Mapped[str] = mapped_column(String(2))
    currency: Mapped[str] = mapped_column(String(3))
    # VAT in basis points (2500 = 25 %), so rates are integers like money.
    vat_rate_bp: Mapped[int] = mapped_column(default=2500)
    time_zone: Mapped[str] = mapped_column(String(64))
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    archived_at: Mapped[datetime | None] = mapped_column()

    sites: Mapped[list[Site]] = relationship(back_populates="organization", order_by="Site.name")


class Site(TimestampMixin, Base):
    __tablename__ = "sites"
    __table_args__ = (
        UniqueConstraint("organization_id", "name"),
        CheckConstraint("grid_limit_amps IS NULL OR grid_limit_amps > 0", name="grid_limit_positive"),
        CheckConstraint("grid_phases IN (1, 3)", name="grid_phases_1_or_3"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    street: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(12))
    city: Mapped[str | None] = mapped_column(String(100))
    time_zone: Mapped[str] = mapped_column(String(64))
    price_area: Mapped[str] = mapped_column(String(3))
    grid_limit_amps: Mapped[int | None] = mapped_column()
    grid_phases: Mapped[int] = mapped_column(default=3)

    organization: Mapped[Organization] = relationship(back_populates="sites")
