"""Every charging session of an organisation as a list: one query for a page's rows (all names joined in),
one count, newest first. Reads only.

Names are this organisation's own: the membership's name, else the number it added the member with,
else a visitor key's label, else the tag UID. Every join carries the organisation's id, so a person
who belongs to several organisations shows here under this organisation's name only.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, String, and_, cast, exists, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.chargers.models import ChargePoint
from ladeportal.db.base import utcnow
from ladeportal.members.models import IdTag, Membership, User, UserGroup
from ladeportal.orgs.models import Site
from ladeportal.pricing.models import SessionPriceCorrection, SessionPricing
from ladeportal.sessions import anomalies
from ladeportal.sessions.filters import SessionFilter, StateFilter
from ladeportal.sessions.models import ChargingSession, SessionState

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_PAGE = 100_000

# Flags that are not meter anomalies (those keep their codes from sessions/anomalies.py).
FALLBACK_PRICE = "fallback_price"
NO_PRICE_PLAN = "no_price_plan"
NOT_PRICED = "not_priced"
PRICE_REVIEW = "price_review"
CORRECTED = "price_corrected"

CS = ChargingSession


@dataclass(frozen=True)
class SessionRow:
    id: int
    started_at: datetime
    stopped_at: datetime | None
    running: bool
    time_zone: str
    site_id: uuid.UUID
    site_name: str
    charge_point_id: uuid.UUID
    charger_name: str
    connector_number: int
    person: str
    # "member" (the membership's name), "phone" (the number it was added with), "visitor_key" or "tag".
    person_kind: str
    membership_id: uuid.UUID | None
    group_name: str | None
    energy_wh: int
    cost_minor: int | None
    currency: str | None
    flags: list[str] = field(default_factory=list)

    def duration(self, now: datetime | None = None) -> timedelta:
        end = self.stopped_at or now or utcnow()
        return max(timedelta(0), end - self.started_at)

    @property
    def flagged(self) -> bool:
        return any(code != CORRECTED for code in self.flags)


@dataclass(frozen=True)
class SessionPage:
    items: list[SessionRow]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def _json_text(column: Any) -> ColumnElement[str]:
    # The JSON column as its stored text: portable across SQLite and PostgreSQL (JSON, not JSONB,
    # keeps the text as written), enough to ask "empty list?" and "contains this code?".
    return cast(column, String)


def _has_anomalies() -> ColumnElement[bool]:
    text = _json_text(CS.anomalies)
    return and_(CS.anomalies.is_not(None), text.not_in(["[]", "null"]))


def _has_anomaly(code: str) -> ColumnElement[bool]:
    return _json_text(CS.anomalies).like(f'%"{code}"%')


def _flagged() -> ColumnElement[bool]:
    return or_(
        _has_anomalies(),
        SessionPricing.needs_review.is_(True),
        SessionPricing.awaits_spot_prices.is_(True),
        and_(CS.state == SessionState.stopped, CS.cost_total_minor.is_(None)),
    )


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _text_like(column: Any, text: str, dialect: str) -> ColumnElement[bool]:
    if dialect == "postgresql":
        return column.ilike(f"%{_escape(text)}%", escape="\\")
    # SQLite folds case for ASCII only ("øyvind" would miss "Øyvind"): try the usual capitalisations.
    variants = sorted({text, text.lower(), text.upper(), text.capitalize(), text.title()})
    return or_(*(column.like(f"%{_escape(v)}%", escape="\\") for v in variants))


def _member_matches(text: str, dialect: str) -> ColumnElement[bool]:
    options = [_text_like(Membership.name, text, dialect), _text_like(IdTag.label, text, dialect)]
    digits = re.sub(r"[\s\-()./]", "", text).lstrip("+")
    if digits.isdigit() and len(digits) >= 3:
        # "0047 912..." and "912 34 567" both find +4791234567.
        digits = digits[2:] if digits.startswith("00") else digits
        options.append(User.phone.contains(digits, autoescape=True))
    uid = re.sub(r"[\s:\-]", "", text).upper()
    if len(uid) >= 4 and re.fullmatch(r"[0-9A-F]+", uid):
        options.append(CS.id_tag.contains(uid, autoescape=True))
    return or_(false(), *options)


def _conditions(org_id: uuid.UUID, flt: SessionFilter, time_zone: str, dialect: str) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [CS.organization_id == org_id]
    if flt.site_id:
        where.append(CS.site_id == flt.site_id)
    if flt.charge_point_id:
        where.append(CS.charge_point_id == flt.charge_point_id)
    if flt.group_id:
        where.append(CS.group_id == flt.group_id)
    start, end = flt.bounds(time_zone)
    if start is not None:
        where.append(CS.started_at >= start)
    if end is not None:
        where.append(CS.started_at < end)
    if flt.state is StateFilter.running:
        where.append(CS.state == SessionState.active)
    elif flt.state is StateFilter.finished:
        where += [CS.state == SessionState.stopped, ~_has_anomaly(anomalies.NO_STOP_RECEIVED)]
    elif flt.state is StateFilter.no_stop:
        where += [CS.state == SessionState.stopped, _has_anomaly(anomalies.NO_STOP_RECEIVED)]
    if flt.flagged:
        where.append(_flagged())
    if flt.member:
        where.append(_member_matches(flt.member, dialect))
    return where


def _joined(statement: Any, org_id: uuid.UUID) -> Select[Any]:
    # Each outer join names the organisation: a membership, tag or group of another tenant never joins.
    return (
        statement.outerjoin(Membership, and_(Membership.id == CS.membership_id, Membership.organization_id == org_id))
        .outerjoin(User, User.id == Membership.user_id)
        .outerjoin(IdTag, and_(IdTag.id == CS.tag_id, IdTag.organization_id == org_id))
        .outerjoin(SessionPricing, SessionPricing.session_id == CS.id)
    )


def row_select(org_id: uuid.UUID) -> Select[Any]:
    corrected = exists().where(SessionPriceCorrection.session_id == CS.id).label("corrected")
    statement = (
        select(
            CS.id,
            CS.started_at,
            CS.stopped_at,
            CS.state,
            CS.site_id,
            CS.charge_point_id,
            CS.connector_number,
            CS.id_tag,
            CS.membership_id,
            CS.energy_wh,
            CS.energy_carried_wh,
            CS.meter_last_wh,
            CS.segment_start_wh,
            CS.anomalies,
            CS.cost_total_minor,
            CS.currency,
            CS.cost_snapshot["status"].as_string().label("price_status"),
            Site.name.label("site_name"),
            Site.time_zone,
            ChargePoint.name.label("charger_name"),
            ChargePoint.ocpp_id,
            Membership.name.label("member_name"),
            User.phone,
            IdTag.label.label("tag_label"),
            UserGroup.name.label("group_name"),
            SessionPricing.needs_review,
            SessionPricing.awaits_spot_prices,
            corrected,
        )
        .select_from(CS)
        .join(Site, Site.id == CS.site_id)
        .join(ChargePoint, ChargePoint.id == CS.charge_point_id)
    )
    statement = statement.outerjoin(UserGroup, and_(UserGroup.id == CS.group_id, UserGroup.organization_id == org_id))
    return _joined(statement, org_id)


def _flags(r: Any) -> list[str]:
    codes = list(r.anomalies or [])
    if r.awaits_spot_prices:
        codes.append(FALLBACK_PRICE)
    if r.price_status == NO_PRICE_PLAN:
        codes.append(NO_PRICE_PLAN)
    if r.state == SessionState.stopped and r.cost_total_minor is None:
        codes.append(NOT_PRICED)
    if r.needs_review and not codes:
        codes.append(PRICE_REVIEW)  # a pricing warning (odd meter curve) that no other flag explains
    if r.corrected:
        codes.append(CORRECTED)
    return codes


def _person(r: Any) -> tuple[str, str]:
    if r.member_name:
        return r.member_name, "member"
    if r.membership_id is not None and r.phone:
        return r.phone, "phone"
    if r.tag_label:
        return r.tag_label, "visitor_key"
    return r.id_tag, "tag"


def to_row(r: Any) -> SessionRow:
    energy = (
        r.energy_wh if r.energy_wh is not None else max(0, r.energy_carried_wh + r.meter_last_wh - r.segment_start_wh)
    )
    person, kind = _person(r)
    running = r.state == SessionState.active
    return SessionRow(
        id=r.id,
        started_at=r.started_at,
        stopped_at=r.stopped_at,
        running=running,
        time_zone=r.time_zone,
        site_id=r.site_id,
        site_name=r.site_name,
        charge_point_id=r.charge_point_id,
        charger_name=r.charger_name or r.ocpp_id,
        connector_number=r.connector_number,
        person=person,
        person_kind=kind,
        membership_id=r.membership_id if r.member_name or r.phone else None,
        group_name=r.group_name,
        energy_wh=int(energy),
        # A running session has no stored price yet; it is never estimated here.
        cost_minor=None if running else r.cost_total_minor,
        currency=r.currency,
        flags=_flags(r),
    )


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


async def list_sessions(
    session: AsyncSession,
    org_id: uuid.UUID,
    flt: SessionFilter,
    time_zone: str,
    *,
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> SessionPage:
    page = max(1, min(page, MAX_PAGE))
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    where = _conditions(org_id, flt, time_zone, _dialect(session))
    total = await session.scalar(
        select(func.count()).select_from(_joined(select(CS.id).select_from(CS), org_id).where(*where).subquery())
    )
    rows = (
        await session.execute(
            row_select(org_id)
            .where(*where)
            .order_by(CS.started_at.desc(), CS.id.desc())
            .limit(page_size)
            .offset((page - 1) * page_size)
        )
    ).all()
    return SessionPage([to_row(r) for r in rows], int(total or 0), page, page_size)


async def count_sessions(session: AsyncSession, org_id: uuid.UUID, flt: SessionFilter, time_zone: str) -> int:
    where = _conditions(org_id, flt, time_zone, _dialect(session))
    total = await session.scalar(
        select(func.count()).select_from(_joined(select(CS.id).select_from(CS), org_id).where(*where).subquery())
    )
    return int(total or 0)


async def iter_sessions(
    session: AsyncSession,
    org_id: uuid.UUID,
    flt: SessionFilter,
    time_zone: str,
    *,
    batch: int = 1000,
) -> AsyncIterator[SessionRow]:
    """All matching sessions, newest first, read in batches by key (not offset), so memory stays bounded
    and each batch costs the same however deep into the history it is."""
    where = _conditions(org_id, flt, time_zone, _dialect(session))
    after: tuple[datetime, int] | None = None
    while True:
        statement = row_select(org_id).where(*where)
        if after is not None:
            at, last_id = after
            statement = statement.where(or_(CS.started_at < at, and_(CS.started_at == at, CS.id < last_id)))
        rows = (await session.execute(statement.order_by(CS.started_at.desc(), CS.id.desc()).limit(batch))).all()
        for r in rows:
            yield to_row(r)
        if len(rows) < batch:
            return
        after = (rows[-1].started_at, rows[-1].id)


async def charger_choices(session: AsyncSession, org_id: uuid.UUID) -> list[tuple[uuid.UUID, str]]:
    """(id, name) of the organisation's chargers for the filter, by name."""
    rows = (
        await session.execute(
            select(ChargePoint.id, ChargePoint.name, ChargePoint.ocpp_id)
            .where(ChargePoint.organization_id == org_id)
            .order_by(ChargePoint.name, ChargePoint.ocpp_id)
        )
    ).all()
    return [(r.id, r.name or r.ocpp_id) for r in rows]
