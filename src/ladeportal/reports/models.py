"""Report tables: what each finished session contributed to each local day, and the aggregates summed from it.

`report_session_days` is the ledger: one row per (session, local day of its site) holding that day's share
of the session (energy split by its meter samples, seconds by overlap, revenue by energy share) and the
session's `updated_at` when it was split. The aggregates are sums of the ledger, so a changed session
re-aggregates exactly the days it touched before and after the change, and nothing else.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Index, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from ladeportal.db.base import Base
from ladeportal.sessions.models import BigId, ChargingSession

# The reports job looks for sessions changed since its watermark; without this index that is a scan of
# every session ever, once a minute.
Index("ix_charging_sessions_updated_at", ChargingSession.__table__.c.updated_at)


class Dimensions:
    """Who and where a row is about: the columns the daily and monthly sums are grouped by."""

    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    charge_point_id: Mapped[uuid.UUID] = mapped_column()
    connector_number: Mapped[int] = mapped_column()
    group_id: Mapped[uuid.UUID | None] = mapped_column()
    membership_id: Mapped[uuid.UUID | None] = mapped_column()
    # The price plan that priced the session (from its cost snapshot); NULL when none did.
    plan_id: Mapped[uuid.UUID | None] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3))


class Amounts:
    """What a session, or a sum of sessions, contributed: energy, time and revenue."""

    energy_wh: Mapped[int] = mapped_column(BigInteger)
    plugged_seconds: Mapped[int] = mapped_column(BigInteger)
    charging_seconds: Mapped[int] = mapped_column(BigInteger)
    gross_minor: Mapped[int] = mapped_column(BigInteger)
    net_minor: Mapped[int] = mapped_column(BigInteger)
    vat_minor: Mapped[int] = mapped_column(BigInteger)


class Sums(Amounts):
    sessions: Mapped[int] = mapped_column()


class ReportSessionDay(Dimensions, Amounts, Base):
    __tablename__ = "report_session_days"
    __table_args__ = (Index("ix_report_session_days_site_day", "site_id", "day"),)

    session_id: Mapped[int] = mapped_column(ForeignKey("charging_sessions.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    # The session is counted once, on the local day it started.
    started_here: Mapped[bool] = mapped_column(Boolean)
    # [[UTC hour start as epoch seconds, energy Wh, plugged seconds], ...] for the site's hourly profile.
    hours: Mapped[list[Any]] = mapped_column(JSON)
    source_updated_at: Mapped[datetime] = mapped_column()


class ReportDaily(Dimensions, Sums, Base):
    """Daily sums per organisation, site, charger, connector, group, member, plan and currency."""

    __tablename__ = "report_daily"
    __table_args__ = (
        Index("ix_report_daily_org_day", "organization_id", "day"),
        Index("ix_report_daily_site_day", "site_id", "day"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    day: Mapped[date] = mapped_column(Date)


class ReportMonthly(Dimensions, Sums, Base):
    """The daily sums summed again per calendar month (`month` is its first day), for long periods
    filtered by charger, group or member."""

    __tablename__ = "report_monthly"
    __table_args__ = (
        Index("ix_report_monthly_org_month", "organization_id", "month"),
        Index("ix_report_monthly_site_month", "site_id", "month"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    month: Mapped[date] = mapped_column(Date)


class Dimension(enum.StrEnum):
    site = "site"
    charger = "charger"
    group = "group"
    member = "member"
    plan = "plan"


class ReportMonthlyBy(Sums, Base):
    """The monthly sums of a site per one dimension at a time (per charger, per group, per member, per
    plan, or the site's own total). An unfiltered year reads a few thousand of these instead of every
    (charger, connector, group, member, plan) combination of report_monthly."""

    __tablename__ = "report_monthly_by"
    __table_args__ = (
        Index("ix_report_monthly_by_org_dim_month", "organization_id", "dimension", "month"),
        Index("ix_report_monthly_by_site_dim_month", "site_id", "dimension", "month"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    month: Mapped[date] = mapped_column(Date)
    dimension: Mapped[str] = mapped_column(String(8))
    # The charger, group, member or plan id; the site id for the site's total; NULL for "none".
    dimension_id: Mapped[uuid.UUID | None] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3))


class ReportSiteHour(Base):
    """Energy and occupied time per site and UTC hour: the load profile and the electricity bought."""

    __tablename__ = "report_site_hours"
    __table_args__ = (Index("ix_report_site_hours_org_day", "organization_id", "day"),)

    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True)
    hour_start: Mapped[datetime] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    # The site's local day the hour belongs to, so a day's hours are replaced together.
    day: Mapped[date] = mapped_column(Date)
    # The hour of day (0-23) and weekday (0 = Monday) in the site's time zone: the load profile's cell.
    local_hour: Mapped[int] = mapped_column(SmallInteger)
    weekday: Mapped[int] = mapped_column(SmallInteger)
    energy_wh: Mapped[int] = mapped_column(BigInteger)
    plugged_seconds: Mapped[int] = mapped_column(BigInteger)
    # The energy times the hour's spot price of the site's price area (excl. VAT), in millionths of a
    # minor unit; NULL while the hour's price is not stored.
    bought_micro: Mapped[int | None] = mapped_column(BigInteger)


class ReportMonthlyHour(Base):
    """The site hours summed per calendar month, local weekday and hour: a year's load profile and
    electricity bought from at most 168 rows per site and month."""

    __tablename__ = "report_monthly_hours"
    __table_args__ = (Index("ix_report_monthly_hours_org_month", "organization_id", "month"),)

    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    weekday: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    local_hour: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    energy_wh: Mapped[int] = mapped_column(BigInteger)
    plugged_seconds: Mapped[int] = mapped_column(BigInteger)
    # Sum over the hours that have a price; the hours with energy but no price are counted beside it.
    bought_micro: Mapped[int] = mapped_column(BigInteger)
    unpriced_hours: Mapped[int] = mapped_column()


class ReportWatermark(Base):
    """How far the reports job has read the sessions' `updated_at`."""

    __tablename__ = "report_watermarks"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    seen_until: Mapped[datetime] = mapped_column()
