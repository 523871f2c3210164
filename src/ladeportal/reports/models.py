"""Report tables: what each finished session contributed to each local day, and the aggregates summed from it.

`report_session_days` is the ledger: one row per (session, local day of its site) holding that day's share
of the session (energy split by its meter samples, seconds by overlap, revenue by energy share) and the
session's `updated_at` when it was split. The aggregates are sums of the ledger, so a changed session
re-aggregates exactly the days it touched before and after the change, and nothing else.
"""

from __future__ import annotations

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


class ReportSessionDay(Base):
    __tablename__ = "report_session_days"
    __table_args__ = (Index("ix_report_session_days_site_day", "site_id", "day"),)

    session_id: Mapped[int] = mapped_column(ForeignKey("charging_sessions.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    charge_point_id: Mapped[uuid.UUID] = mapped_column()
    connector_number: Mapped[int] = mapped_column()
    group_id: Mapped[uuid.UUID | None] = mapped_column()
    membership_id: Mapped[uuid.UUID | None] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3))
    # The session is counted once, on the local day it started.
    started_here: Mapped[bool] = mapped_column(Boolean)
    energy_wh: Mapped[int] = mapped_column(BigInteger)
    plugged_seconds: Mapped[int] = mapped_column(BigInteger)
    charging_seconds: Mapped[int] = mapped_column(BigInteger)
    gross_minor: Mapped[int] = mapped_column(BigInteger)
    net_minor: Mapped[int] = mapped_column(BigInteger)
    vat_minor: Mapped[int] = mapped_column(BigInteger)
    # [[UTC hour start as epoch seconds, energy Wh, plugged seconds], ...] for the site's hourly profile.
    hours: Mapped[list[Any]] = mapped_column(JSON)
    source_updated_at: Mapped[datetime] = mapped_column()


class ReportDaily(Base):
    """Daily sums per organisation, site, charger, connector, group, member and currency."""

    __tablename__ = "report_daily"
    __table_args__ = (
        Index("ix_report_daily_org_day", "organization_id", "day"),
        Index("ix_report_daily_site_day", "site_id", "day"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    charge_point_id: Mapped[uuid.UUID] = mapped_column()
    connector_number: Mapped[int] = mapped_column()
    group_id: Mapped[uuid.UUID | None] = mapped_column()
    membership_id: Mapped[uuid.UUID | None] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3))
    sessions: Mapped[int] = mapped_column()
    energy_wh: Mapped[int] = mapped_column(BigInteger)
    plugged_seconds: Mapped[int] = mapped_column(BigInteger)
    charging_seconds: Mapped[int] = mapped_column(BigInteger)
    gross_minor: Mapped[int] = mapped_column(BigInteger)
    net_minor: Mapped[int] = mapped_column(BigInteger)
    vat_minor: Mapped[int] = mapped_column(BigInteger)


class ReportMonthly(Base):
    """The daily sums summed again per calendar month (`month` is its first day), for long periods: a
    year is read from twelve months of these instead of 365 days of report_daily."""

    __tablename__ = "report_monthly"
    __table_args__ = (
        Index("ix_report_monthly_org_month", "organization_id", "month"),
        Index("ix_report_monthly_site_month", "site_id", "month"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    month: Mapped[date] = mapped_column(Date)
    charge_point_id: Mapped[uuid.UUID] = mapped_column()
    connector_number: Mapped[int] = mapped_column()
    group_id: Mapped[uuid.UUID | None] = mapped_column()
    membership_id: Mapped[uuid.UUID | None] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3))
    sessions: Mapped[int] = mapped_column()
    energy_wh: Mapped[int] = mapped_column(BigInteger)
    plugged_seconds: Mapped[int] = mapped_column(BigInteger)
    charging_seconds: Mapped[int] = mapped_column(BigInteger)
    gross_minor: Mapped[int] = mapped_column(BigInteger)
    net_minor: Mapped[int] = mapped_column(BigInteger)
    vat_minor: Mapped[int] = mapped_column(BigInteger)


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


class ReportWatermark(Base):
    """How far the reports job has read the sessions' `updated_at`."""

    __tablename__ = "report_watermarks"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    seen_until: Mapped[datetime] = mapped_column()
