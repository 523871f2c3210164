"""Detection opens an alert for each problem and resolves it when the problem clears: offline chargers
(after the organisation's threshold), faulted connectors (with their error code), unmatched transaction
messages, flagged sessions, sessions billed at the fallback price and spot prices that failed to arrive.
Re-running it, or running it twice at once, never opens the same alert twice."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.alerts import kinds
from ladeportal.alerts.detection import SPOT_ATTEMPTS, detect_alerts
from ladeportal.alerts.models import Alert
from ladeportal.alerts.preferences import set_offline_minutes
from ladeportal.chargers.models import ChargePoint, Connector
from ladeportal.db.base import utcnow
from ladeportal.db.engine import Database
from ladeportal.errors import ValidationFailed
from ladeportal.orgs.models import Organization
from ladeportal.pricing.assignments import assign_public_plan
from ladeportal.pricing.models import SessionPricing, SpotPriceFetch
from ladeportal.pricing.services import create_plan
from ladeportal.pricing.spot_jobs import days_wanted
from ladeportal.sessions.models import OrphanMessage
from tests.factories import ACTOR, make_org, make_site
from tests.portal.ocpp_rows import charger, charging_session, orphan


async def _alerts(session: AsyncSession, org: Organization) -> list[Alert]:
    rows = list(
        await session.scalars(
            select(Alert)
            .where(Alert.organization_id == org.id)
            .order_by(Alert.id)
            .execution_options(populate_existing=True)
        )
    )
    await session.commit()
    return rows


def _open(rows: list[Alert], kind: str) -> list[Alert]:
    return [a for a in rows if a.kind == kind and a.resolved_at is None]


async def test_an_offline_charger_opens_an_alert_after_the_threshold_and_reconnecting_resolves_it(
    session: AsyncSession,
) -> None:
    now = utcnow()
    org, other = await make_org(session), await make_org(session)
    site = await make_site(session, org)
    lost = await charger(session, site, "OFF-1", seen=now - timedelta(minutes=16))
    await charger(session, site, "RECENT-1", seen=now - timedelta(minutes=14))
    await charger(session, site, "PENDING-1", seen=None, active=False)
    await charger(session, await make_site(session, other), "OTHER-OFF", seen=now - timedelta(hours=2))

    assert (await detect_alerts(session, org.id, now)).opened == 1
    [alert] = _open(await _alerts(session, org), kinds.CHARGER_OFFLINE)
    assert alert.charge_point_id == lost and alert.opened_at == now - timedelta(minutes=16)

    # The organisation's own threshold: at 30 minutes the 16-minute gap is not an outage.
    await set_offline_minutes(session, ACTOR, org.id, 30)
    later = now + timedelta(minutes=1)
    assert (await detect_alerts(session, org.id, later)).resolved == 1
    assert _open(await _alerts(session, org), kinds.CHARGER_OFFLINE) == []

    lost_again = now - timedelta(hours=1)
    await session.execute(update(ChargePoint).where(ChargePoint.id == lost).values(last_seen_at=lost_again))
    await session.commit()
    await detect_alerts(session, org.id, later)
    [again] = _open(await _alerts(session, org), kinds.CHARGER_OFFLINE)
    assert again.id != alert.id  # a new outage is a new alert; the old one stays resolved

    await session.execute(update(ChargePoint).where(ChargePoint.id == lost).values(last_seen_at=later))
    await session.commit()
    await detect_alerts(session, org.id, later + timedelta(minutes=1))
    rows = await _alerts(session, org)
    assert _open(rows, kinds.CHARGER_OFFLINE) == [] and all(a.resolved_at is not None for a in rows)
    assert await _alerts(session, other) == []  # the other organisation was not looked at


async def test_the_offline_threshold_has_bounds(session: AsyncSession) -> None:
    org = await make_org(session)
    for minutes in (0, 4, 1441):
        with pytest.raises(ValidationFailed) as refused:
            await set_offline_minutes(session, ACTOR, org.id, minutes)
        assert refused.value.field == "offline_minutes"


async def test_a_faulted_connector_opens_an_alert_with_its_error_code_until_it_leaves_faulted(
    session: AsyncSession,
) -> None:
    now = utcnow()
    org = await make_org(session)
    site = await make_site(session, org)
    cp = await charger(session, site, "FAULT-1", seen=now, statuses=("Available", "Faulted"))
    await session.execute(
        update(Connector)
        .where(Connector.charge_point_id == cp, Connector.number == 2)
        .values(error_code="GroundFailure")
    )
    await session.commit()
    await detect_alerts(session, org.id, now)
    [alert] = _open(await _alerts(session, org), kinds.CONNECTOR_FAULTED)
    assert (alert.charge_point_id, alert.connector_number, alert.detail) == (cp, 2, "GroundFailure")

    await session.execute(update(Connector).where(Connector.charge_point_id == cp).values(status="Available"))
    await session.commit()
    await detect_alerts(session, org.id, now + timedelta(minutes=1))
    assert _open(await _alerts(session, org), kinds.CONNECTOR_FAULTED) == []


async def test_orphans_flagged_and_fallback_priced_sessions_open_alerts_that_resolve(session: AsyncSession) -> None:
    now = utcnow()
    org = await make_org(session)
    site = await make_site(session, org)
    cp = await charger(session, site, "SESS-1", seen=now)
    await orphan(session, cp)
    await orphan(session, cp)
    flagged = await charging_session(
        session, site, cp, now - timedelta(hours=3), energy_wh=1000, anomalies=["meter_reset"]
    )
    await charging_session(session, site, cp, now - timedelta(days=40), energy_wh=1000, anomalies=["meter_reset"])
    fallback = await charging_session(session, site, cp, now - timedelta(hours=2), energy_wh=2000, connector=2)
    session.add(
        SessionPricing(
            session_id=fallback,
            organization_id=org.id,
            started_at=now - timedelta(hours=2),
            priced_at=now - timedelta(hours=1),
            spot_area="NO1",
            awaits_spot_prices=True,
        )
    )
    await session.commit()

    await detect_alerts(session, org.id, now)
    rows = await _alerts(session, org)
    [orphans] = _open(rows, kinds.ORPHAN_MESSAGE)
    assert orphans.charge_point_id == cp and orphans.detail == "2"  # one alert per charger, with the count
    [meter] = _open(rows, kinds.SESSION_FLAGGED)
    assert meter.session_id == flagged and meter.detail == "meter_reset"  # the 40-day-old one is history
    [priced] = _open(rows, kinds.SESSION_PRICE_FALLBACK)
    assert priced.session_id == fallback

    await session.execute(update(OrphanMessage).values(resolved_at=now))
    await session.execute(update(SessionPricing).values(awaits_spot_prices=False))  # re-priced
    await session.commit()
    await detect_alerts(session, org.id, now + timedelta(minutes=1))
    rows = await _alerts(session, org)
    assert _open(rows, kinds.ORPHAN_MESSAGE) == [] and _open(rows, kinds.SESSION_PRICE_FALLBACK) == []
    assert len(_open(rows, kinds.SESSION_FLAGGED)) == 1


async def test_spot_prices_that_keep_failing_open_an_alert_for_the_area_until_they_arrive(
    session: AsyncSession,
) -> None:
    now = utcnow()
    org, elsewhere = await make_org(session), await make_org(session)
    await make_site(session, org, price_area="NO1")
    await make_site(session, elsewhere, price_area="NO5")
    spot = {"energy": {"type": "spot", "area": "NO1", "fallback_per_kwh": "2.00"}}
    plan = await create_plan(session, ACTOR, org.id, "Spot", spot, effective_from=now - timedelta(days=1))
    await assign_public_plan(session, ACTOR, org.id, plan.id)  # the prices matter to it
    day: date = days_wanted("NO1", now)[0]
    fetch = SpotPriceFetch(
        area="NO1",
        currency=org.currency,
        day=day,
        attempts=SPOT_ATTEMPTS - 1,
        next_attempt_at=now,
        last_error="HTTP 503",
    )
    session.add(fetch)
    await session.commit()
    await detect_alerts(session, org.id, now)
    assert await _alerts(session, org) == []  # one or two failures are retried before anyone is told

    await session.execute(update(SpotPriceFetch).values(attempts=SPOT_ATTEMPTS))
    await session.commit()
    await detect_alerts(session, org.id, now)
    await detect_alerts(session, elsewhere.id, now)
    [alert] = _open(await _alerts(session, org), kinds.SPOT_PRICES_MISSING)
    assert alert.subject_key == f"NO1:{org.currency}" and alert.detail == f"NO1 {day.isoformat()}"
    assert await _alerts(session, elsewhere) == []  # its area is fine

    await session.execute(update(SpotPriceFetch).values(completed_at=now, last_error=None))
    await session.commit()
    await detect_alerts(session, org.id, now + timedelta(minutes=10))
    assert _open(await _alerts(session, org), kinds.SPOT_PRICES_MISSING) == []


async def test_running_detection_again_or_twice_at_once_opens_nothing_twice(
    db: Database,
    session: AsyncSession,
) -> None:
    now = utcnow()
    org = await make_org(session)
    site = await make_site(session, org)
    await charger(session, site, "TWICE-1", seen=now - timedelta(hours=1), statuses=("Faulted",))
    first = await detect_alerts(session, org.id, now)
    assert first.opened == 2
    again = await detect_alerts(session, org.id, now + timedelta(minutes=1))
    assert (again.opened, again.resolved) == (0, 0)

    async def run() -> None:
        async with db.session() as s:
            await detect_alerts(s, org.id, now + timedelta(minutes=2))

    await asyncio.gather(run(), run())
    rows = await _alerts(session, org)
    assert sorted(a.kind for a in rows) == [kinds.CHARGER_OFFLINE, kinds.CONNECTOR_FAULTED]


async def test_the_database_refuses_a_second_open_alert_for_the_same_subject(session: AsyncSession) -> None:
    org = await make_org(session)
    now = utcnow()
    subject = str(uuid.uuid4())
    session.add(
        Alert(organization_id=org.id, kind=kinds.CHARGER_OFFLINE, subject_key=subject, opened_at=now, resolved_at=now)
    )
    session.add(Alert(organization_id=org.id, kind=kinds.CHARGER_OFFLINE, subject_key=subject, opened_at=now))
    await session.commit()  # a resolved one and an open one live side by side
    session.add(Alert(organization_id=org.id, kind=kinds.CHARGER_OFFLINE, subject_key=subject, opened_at=now))
    with pytest.raises(IntegrityError):
        await session.commit()
    await session.rollback()


async def test_the_periodic_job_brings_every_live_organisation_up_to_date(db: Database, session: AsyncSession) -> None:
    import ladeportal.jobs.registry  # noqa: F401  (what the worker imports)
    from ladeportal.alerts.jobs import run_alerts
    from ladeportal.jobs.periodic import registered_jobs

    assert "alerts.detect_and_notify" in {job.name for job in registered_jobs()}
    now = utcnow()
    orgs = [await make_org(session), await make_org(session)]
    for org in orgs:
        await charger(session, await make_site(session, org), f"JOB-{org.id.hex[:8]}", seen=now - timedelta(hours=1))
    first = await run_alerts(db, now=now)
    assert (first.opened, first.failed) == (2, 0)
    assert (await run_alerts(db, now=now + timedelta(minutes=1))).opened == 0
    for org in orgs:
        assert len(_open(await _alerts(session, org), kinds.CHARGER_OFFLINE)) == 1
