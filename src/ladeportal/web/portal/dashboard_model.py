"""What the dashboard shows: chargers by state, today's sessions, this month's energy, and what needs
someone's attention: the organisation's open alerts (alerts area), the one list of problems, so a
faulted or offline charger, an unmatched transaction message or a flagged session is named once, and
disappears when its alert is resolved (by the problem going away or, for a session, by a review).

Counting chargers by state needs only one aggregate row per charger, so the dashboard never loads
charger or connector entities.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.alerts.listing import AlertView, open_alerts
from ladeportal.billing.account_status import PaymentsState
from ladeportal.billing.deadlines import SwitchDeadline, invoicing_deadline
from ladeportal.billing.onboarding import payments_status
from ladeportal.chargers.models import ChargePoint, CommissioningState, Connector
from ladeportal.db.base import utcnow
from ladeportal.orgs.models import Organization
from ladeportal.sessions.models import ChargingSession
from ladeportal.web.portal.readmodels import CHARGING, FREE, STATES, state_of


@dataclass(frozen=True, slots=True)
class PaymentsCard:
    """Where the organisation stands with Stripe, and the days left to its invoicing switch date."""

    state: PaymentsState
    deadline: SwitchDeadline


@dataclass
class Dashboard:
    counts: dict[str, int]
    sessions_today: int
    energy_month_wh: int
    # Open alerts (alerts area): how many, and the newest of them by name.
    alerts_open: int = 0
    alerts: list[AlertView] = field(default_factory=list)
    # The payments card (billing area); None when payments are switched off on the platform.
    payments: PaymentsCard | None = None

    @property
    def all_well(self) -> bool:
        return not self.alerts_open


def local_midnight(now: datetime, time_zone: str, *, month: bool = False) -> datetime:
    local = now.astimezone(ZoneInfo(time_zone))
    start = local.replace(day=1 if month else local.day, hour=0, minute=0, second=0, microsecond=0)
    return start.astimezone(ZoneInfo("UTC"))


async def _states(
    session: AsyncSession, org_id: uuid.UUID, now: datetime, heartbeat_seconds: int
) -> dict[uuid.UUID, str]:
    def any_connector(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.max(case((condition, 1), else_=0))

    query = (
        select(
            ChargePoint.id,
            ChargePoint.commissioning_state,
            ChargePoint.last_seen_at,
            any_connector(Connector.status == "Faulted"),
            any_connector(Connector.status.in_(CHARGING)),
            any_connector(Connector.status == FREE),
            any_connector(Connector.status == "Unavailable"),
            any_connector(Connector.status.not_in(("Unknown", "Unavailable", FREE))),
        )
        .outerjoin(Connector, Connector.charge_point_id == ChargePoint.id)
        .where(ChargePoint.organization_id == org_id, ChargePoint.commissioning_state != CommissioningState.retired)
        .group_by(ChargePoint.id, ChargePoint.commissioning_state, ChargePoint.last_seen_at)
    )
    states = {}
    rows = (await session.execute(query)).all()
    for cp_id, commissioning, last_seen_at, faulted, charging, free, unavailable, occupied in rows:
        # The same decision as the chargers list, fed with a stand-in set of statuses: only a connector
        # that is Available counts as free (an Unavailable one is not).
        statuses = (
            {"Faulted"}
            if faulted
            else {"Charging"}
            if charging
            else {FREE}
            if free
            else {"Preparing"}
            if occupied
            else {"Unavailable"}
            if unavailable
            else set()
        )
        states[cp_id] = state_of(commissioning, last_seen_at, statuses, now, heartbeat_seconds)
    return states


async def _sessions(session: AsyncSession, org: Organization, now: datetime) -> tuple[int, int]:
    day = local_midnight(now, org.time_zone)
    month = local_midnight(now, org.time_zone, month=True)
    # Running sessions count with what they have delivered so far.
    delivered = func.coalesce(
        ChargingSession.energy_wh,
        ChargingSession.energy_carried_wh + ChargingSession.meter_last_wh - ChargingSession.segment_start_wh,
    )
    # One range scan of ix_charging_sessions_org_started from the first of the month answers both
    # (today never starts before the month does).
    today, energy = (
        await session.execute(
            select(
                func.coalesce(func.sum(case((ChargingSession.started_at >= day, 1), else_=0)), 0),
                func.coalesce(func.sum(case((ChargingSession.started_at >= month, delivered), else_=0)), 0),
            ).where(ChargingSession.organization_id == org.id, ChargingSession.started_at >= month)
        )
    ).one()
    return int(today), int(energy)


async def dashboard(session: AsyncSession, org: Organization, heartbeat_seconds: int) -> Dashboard:
    now = utcnow()
    states = await _states(session, org.id, now, heartbeat_seconds)
    counts = dict.fromkeys(STATES, 0)
    for state in states.values():
        counts[state] = counts.get(state, 0) + 1
    sessions_today, energy = await _sessions(session, org, now)
    alerts_open, alerts = await open_alerts(session, org.id, org.time_zone)
    return Dashboard(
        counts=counts,
        sessions_today=sessions_today,
        energy_month_wh=energy,
        alerts_open=alerts_open,
        alerts=alerts,
    )


async def payments_card(session: AsyncSession, org_id: uuid.UUID) -> PaymentsCard:
    deadline = await invoicing_deadline(session, org_id)
    status = await payments_status(session, org_id)
    return PaymentsCard(status.state, deadline)
