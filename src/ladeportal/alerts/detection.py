"""Opening and resolving alerts from what the other areas' tables say now.

Detection is a comparison: the conditions that hold now against the open alerts. A condition without
an open alert opens one; an open alert whose condition no longer holds is resolved. Running it again
changes nothing, and two runs at once cannot open the same alert twice: the partial unique index
(one open alert per organisation, kind and subject) refuses the second insert, which is skipped.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.alerts import kinds
from ladeportal.alerts.models import Alert
from ladeportal.alerts.preferences import offline_minutes
from ladeportal.chargers.models import ChargePoint, CommissioningState, Connector
from ladeportal.db.engine import unit_of_work
from ladeportal.guests.models import ChargeState, GuestCharge
from ladeportal.orgs.models import Organization, Site
from ladeportal.pricing.models import SessionPricing, SpotPriceFetch
from ladeportal.pricing.spot_jobs import days_wanted
from ladeportal.pricing.spot_use import spot_priced_areas
from ladeportal.sessions.models import ChargingSession, OrphanMessage, SessionReview
from ladeportal.sessions.review import is_reviewed

# Flagged sessions older than this are history (reviewed through reports); younger ones until an
# administrator marks them as reviewed.
SESSION_WINDOW = timedelta(days=30)
# A fetch fails now and then (prices published late, a network blip) and is retried within minutes;
# only a day still missing after this many attempts is worth a person's attention.
SPOT_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class Condition:
    kind: str
    subject_key: str
    opened_at: datetime
    charge_point_id: uuid.UUID | None = None
    connector_number: int | None = None
    session_id: int | None = None
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class Detection:
    opened: int
    resolved: int


def _active_in(org_id: uuid.UUID) -> tuple[ColumnElement[bool], ...]:
    return (ChargePoint.organization_id == org_id, ChargePoint.commissioning_state == CommissioningState.active)


async def _offline(session: AsyncSession, org_id: uuid.UUID, now: datetime, minutes: int) -> list[Condition]:
    limit = now - timedelta(minutes=minutes)
    rows = await session.execute(
        select(ChargePoint.id, ChargePoint.last_seen_at, ChargePoint.created_at).where(
            *_active_in(org_id),
            # Never seen: a new charger gets the same grace period to connect for the first time.
            or_(
                ChargePoint.last_seen_at < limit,
                and_(ChargePoint.last_seen_at.is_(None), ChargePoint.created_at < limit),
            ),
        )
    )
    return [
        Condition(kinds.CHARGER_OFFLINE, str(cp_id), seen or created, charge_point_id=cp_id)
        for cp_id, seen, created in rows
    ]


async def _faulted(session: AsyncSession, org_id: uuid.UUID, now: datetime) -> list[Condition]:
    rows = await session.execute(
        select(Connector.charge_point_id, Connector.number, Connector.status_changed_at, Connector.error_code)
        .join(ChargePoint, ChargePoint.id == Connector.charge_point_id)
        .where(*_active_in(org_id), Connector.status == "Faulted")
    )
    return [
        Condition(
            kinds.CONNECTOR_FAULTED,
            f"{cp_id}:{number}",
            changed or now,
            charge_point_id=cp_id,
            connector_number=number,
            detail=error_code,
        )
        for cp_id, number, changed, error_code in rows
    ]


async def _orphans(session: AsyncSession, org_id: uuid.UUID) -> list[Condition]:
    # One alert per charger, not per message: a misconfigured charger can send hundreds.
    rows = await session.execute(
        select(OrphanMessage.charge_point_id, func.min(OrphanMessage.received_at), func.count())
        .join(ChargePoint, ChargePoint.id == OrphanMessage.charge_point_id)
        .where(ChargePoint.organization_id == org_id, OrphanMessage.resolved_at.is_(None))
        .group_by(OrphanMessage.charge_point_id)
    )
    return [
        Condition(kinds.ORPHAN_MESSAGE, str(cp_id), first, charge_point_id=cp_id, detail=str(count))
        for cp_id, first, count in rows
    ]


async def _flagged_sessions(session: AsyncSession, org_id: uuid.UUID, now: datetime) -> list[Condition]:
    rows = await session.execute(
        select(
            ChargingSession.id,
            ChargingSession.charge_point_id,
            ChargingSession.started_at,
            ChargingSession.stopped_at,
            ChargingSession.anomalies,
            SessionReview.anomalies,
        )
        .outerjoin(SessionReview, SessionReview.session_id == ChargingSession.id)
        .where(
            ChargingSession.organization_id == org_id,
            ChargingSession.started_at >= now - SESSION_WINDOW,
            func.json_array_length(ChargingSession.anomalies) > 0,
        )
    )
    # A session an administrator reviewed needs no more attention, until the charger adds a new flag.
    return [
        Condition(
            kinds.SESSION_FLAGGED,
            str(sid),
            stopped or started,
            charge_point_id=cp_id,
            session_id=sid,
            detail=",".join(codes)[:200],
        )
        for sid, cp_id, started, stopped, codes, reviewed in rows
        if not is_reviewed(codes, reviewed)
    ]


async def _fallback_priced(session: AsyncSession, org_id: uuid.UUID, now: datetime) -> list[Condition]:
    rows = await session.execute(
        select(
            SessionPricing.session_id,
            ChargingSession.charge_point_id,
            SessionPricing.priced_at,
            SessionPricing.spot_area,
        )
        .join(ChargingSession, ChargingSession.id == SessionPricing.session_id)
        .where(
            SessionPricing.organization_id == org_id,
            SessionPricing.awaits_spot_prices.is_(True),
            SessionPricing.started_at >= now - SESSION_WINDOW,
        )
    )
    return [
        Condition(kinds.SESSION_PRICE_FALLBACK, str(sid), priced, charge_point_id=cp_id, session_id=sid, detail=area)
        for sid, cp_id, priced, area in rows
    ]


async def _spot_prices(session: AsyncSession, org_id: uuid.UUID, now: datetime) -> list[Condition]:
    # Missing prices matter to an organisation only where a spot-priced plan applies to one of its sites.
    spot_areas = await spot_priced_areas(session, org_id, now)
    if not spot_areas:
        return []
    areas = (
        await session.execute(
            select(Site.price_area, Organization.currency)
            .distinct()
            .join(Organization, Organization.id == Site.organization_id)
            .where(Site.organization_id == org_id, Site.price_area.in_(spot_areas))
        )
    ).all()
    found = []
    for area, currency in areas:
        failing = await session.scalars(
            select(SpotPriceFetch.day)
            .where(
                SpotPriceFetch.area == area,
                SpotPriceFetch.currency == currency,
                SpotPriceFetch.day.in_(days_wanted(area, now)),
                SpotPriceFetch.completed_at.is_(None),
                SpotPriceFetch.last_error.is_not(None),
                SpotPriceFetch.attempts >= SPOT_ATTEMPTS,
            )
            .order_by(SpotPriceFetch.day)
        )
        days = list(failing)
        if days:
            found.append(
                Condition(kinds.SPOT_PRICES_MISSING, f"{area}:{currency}", now, detail=f"{area} {days[0].isoformat()}")
            )
    return found


async def _guest_captures(session: AsyncSession, org_id: uuid.UUID) -> list[Condition]:
    """A guest's charge whose capture Stripe refused: the owner settles it (guests/settle.py)."""
    rows = await session.execute(
        select(GuestCharge.id, GuestCharge.charge_point_id, GuestCharge.session_id, GuestCharge.failure,
               GuestCharge.created_at)
        .where(GuestCharge.organization_id == org_id, GuestCharge.state == ChargeState.capture_failed)
    )  # fmt: skip
    return [
        Condition(kinds.GUEST_CAPTURE_FAILED, str(gid), at, charge_point_id=cp_id, session_id=sid, detail=failure)
        for gid, cp_id, sid, failure, at in rows.all()
    ]


async def current_conditions(session: AsyncSession, org_id: uuid.UUID, now: datetime) -> list[Condition]:
    minutes = await offline_minutes(session, org_id)
    return [
        *await _offline(session, org_id, now, minutes),
        *await _faulted(session, org_id, now),
        *await _orphans(session, org_id),
        *await _flagged_sessions(session, org_id, now),
        *await _fallback_priced(session, org_id, now),
        *await _spot_prices(session, org_id, now),
        *await _guest_captures(session, org_id),
    ]


async def detect_alerts(session: AsyncSession, org_id: uuid.UUID, now: datetime) -> Detection:
    """Bring the organisation's open alerts in line with the conditions that hold at `now`."""
    async with unit_of_work(session):
        conditions = {(c.kind, c.subject_key): c for c in await current_conditions(session, org_id, now)}
        open_rows = (
            await session.execute(
                select(Alert.id, Alert.kind, Alert.subject_key).where(
                    Alert.organization_id == org_id, Alert.resolved_at.is_(None)
                )
            )
        ).all()
        open_keys = {(kind, key) for _, kind, key in open_rows}
        cleared = [alert_id for alert_id, kind, key in open_rows if (kind, key) not in conditions]
        if cleared:
            await session.execute(
                update(Alert)
                .where(Alert.id.in_(cleared), Alert.resolved_at.is_(None))
                .values(resolved_at=now)
                .execution_options(synchronize_session=False)
            )
        new = [
            {
                "organization_id": org_id,
                "kind": c.kind,
                "subject_key": c.subject_key,
                "opened_at": c.opened_at,
                "detected_at": now,
                "charge_point_id": c.charge_point_id,
                "connector_number": c.connector_number,
                "session_id": c.session_id,
                "detail": c.detail,
            }
            for key, c in conditions.items()
            if key not in open_keys
        ]
        if new:
            insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
            # No conflict target: the one that can fire is the partial index of open alerts.
            await session.execute(insert(Alert).on_conflict_do_nothing(), new)
    return Detection(opened=len(new), resolved=len(cleared))


async def live_organizations(session: AsyncSession) -> list[uuid.UUID]:
    return list(await session.scalars(select(Organization.id).where(Organization.archived_at.is_(None))))
