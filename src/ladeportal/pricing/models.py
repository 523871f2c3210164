"""Price plan, plan version, plan assignment, session pricing record, price correction and spot price tables.

A plan is a name owned by an organisation; what it charges lives in its versions, each effective from
a moment (UTC) and stored as the canonical JSON of `plan_codec`, so a version reads back exactly as it
was validated. Versions are never edited: a price change is a new version.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ladeportal.db.base import Base, TimestampMixin, utcnow


class PricePlan(TimestampMixin, Base):
    __tablename__ = "price_plans"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str | None] = mapped_column(String(500))
    # Archived plans keep their versions: sessions priced with them still point at them.
    archived_at: Mapped[datetime | None] = mapped_column()


class PricePlanVersion(Base):
    __tablename__ = "price_plan_versions"
    __table_args__ = (
        UniqueConstraint("plan_id", "number"),
        # Two versions from the same moment would make "the version in force" ambiguous.
        UniqueConstraint("plan_id", "effective_from"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("price_plans.id"), index=True)
    number: Mapped[int] = mapped_column()
    effective_from: Mapped[datetime] = mapped_column()
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120))


class GroupPricePlan(Base):
    """The private plan of a user group, at one site or (site_id NULL) at all the organisation's sites."""

    __tablename__ = "group_price_plans"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    group_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_groups.id"))
    site_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sites.id"))
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("price_plans.id"), index=True)
    # "group:site" or "group:all": unique, so the database refuses two plans for one scope even though
    # SQL unique constraints treat NULL site ids as distinct.
    scope: Mapped[str] = mapped_column(String(80), unique=True)


class PublicPricePlan(Base):
    """What guests pay (by card), at one site or (site_id NULL) at all the organisation's sites."""

    __tablename__ = "public_price_plans"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    site_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sites.id"))
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("price_plans.id"), index=True)
    scope: Mapped[str] = mapped_column(String(80), unique=True)  # "org:site" or "org:all", as above


class SessionPricing(Base):
    """Which plan version priced a finished session: the indexed fact behind "never rewrite the past"
    (the snapshot JSON on the session holds the details but cannot be queried portably)."""

    __tablename__ = "session_pricings"
    __table_args__ = (
        Index("ix_session_pricings_plan_started", "plan_id", "started_at"),
        Index("ix_session_pricings_awaiting_spot", "spot_area", "awaits_spot_prices"),
    )

    session_id: Mapped[int] = mapped_column(ForeignKey("charging_sessions.id"), primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    plan_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("price_plans.id"))
    plan_version_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("price_plan_versions.id"))
    started_at: Mapped[datetime] = mapped_column()
    priced_at: Mapped[datetime] = mapped_column(default=utcnow)
    needs_review: Mapped[bool] = mapped_column(default=False)
    # The price area of the spot plan that priced it (None: not a spot plan), and whether part of its
    # energy was billed at the plan's fallback price because no spot price was stored: the sessions
    # that are re-priced, with a recorded correction, once the prices arrive (see spot_corrections).
    spot_area: Mapped[str | None] = mapped_column(String(3))
    awaits_spot_prices: Mapped[bool] = mapped_column(default=False)


class SessionPriceCorrection(Base):
    """A finished session's price replaced after the fact, never silently: the old and the new snapshot
    and totals, why and when. Append-only; the session itself holds the price in force.

    `data_digest` identifies the spot prices the new price was computed from: unique per session, so the
    same data can never re-price a session twice, however often a day is fetched or imported.
    """

    __tablename__ = "session_price_corrections"
    __table_args__ = (UniqueConstraint("session_id", "data_digest"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("charging_sessions.id"))
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    reason: Mapped[str] = mapped_column(String(40))
    data_digest: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    old_total_minor: Mapped[int | None] = mapped_column(BigInteger)
    new_total_minor: Mapped[int] = mapped_column(BigInteger)
    old_snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    new_snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    corrected_at: Mapped[datetime] = mapped_column(default=utcnow)
    corrected_by: Mapped[str] = mapped_column(String(120))


class SpotPriceInterval(Base):
    """One day-ahead market interval, price per kWh without VAT in nano-units (1e-9) of the currency.

    Integers keep the published decimals exactly on SQLite and PostgreSQL alike (the source publishes
    five decimals; nine leave room), where a Numeric column would come back as a float on SQLite.
    """

    __tablename__ = "spot_price_intervals"

    area: Mapped[str] = mapped_column(String(3), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(primary_key=True)
    ends_at: Mapped[datetime] = mapped_column()
    price_nano_per_kwh: Mapped[int] = mapped_column(BigInteger)
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)


class SpotPriceFetch(Base):
    """Progress of fetching one area's prices for one local day: attempts and when to try again."""

    __tablename__ = "spot_price_fetches"

    area: Mapped[str] = mapped_column(String(3), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    completed_at: Mapped[datetime | None] = mapped_column()
