"""Sessions billed at the fallback price are re-priced, with a recorded correction, once their spot prices
are stored: by the fetch job, an import or an explicit re-pricing; once per set of prices."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pricing_db_support import GUESTS, SPOT, Place, charge, make_place, utc
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from tests.factories import ACTOR, make_charger
from tests.spot_price_server import SPOT_FIXTURES

from ladeportal.db.engine import Database
from ladeportal.pricing.assignments import assign_group_plan
from ladeportal.pricing.models import SessionPriceCorrection, SessionPricing
from ladeportal.pricing.services import create_plan
from ladeportal.pricing.spot_corrections import SPOT_PRICES_PUBLISHED, reprice_range
from ladeportal.pricing.spot_imports import record_day
from ladeportal.pricing.spot_jobs import fetch_due_prices
from ladeportal.pricing.spot_price_parsing import DayAheadPrices, parse_day_ahead
from ladeportal.pricing.spot_prices import SpotPriceClient
from ladeportal.pricing.spot_store import store_prices
from ladeportal.sessions.models import ChargingSession

# 10:00-11:00 UTC on 2025-10-27 (11:00-12:00 in Oslo), 2 kWh.
START, STOP = utc(2025, 10, 27, 10), utc(2025, 10, 27, 11)
AFTER = utc(2025, 10, 27, 12)


def fixture_day(day: str, area: str = "NO1") -> DayAheadPrices:
    return parse_day_ahead((SPOT_FIXTURES / f"{day}_{area}.json").read_bytes(), area=area, day=date.fromisoformat(day))


async def spot_place(s: AsyncSession) -> tuple[Place, Any]:
    place = await make_place(s)
    cp = await make_charger(s, place.site)
    plan = await create_plan(s, ACTOR, place.org.id, "Spot", SPOT, effective_from=utc(2025, 1, 1))
    await assign_group_plan(s, ACTOR, place.org.id, place.residents.id, plan.id)
    return place, cp.charge_point.id


Reread = tuple[ChargingSession, SessionPricing, list[SessionPriceCorrection]]


async def reread(s: AsyncSession, session_id: int) -> Reread:
    s.expunge_all()
    cs = await s.get(ChargingSession, session_id)
    pricing = await s.get(SessionPricing, session_id)
    corrections = list(
        (
            await s.scalars(
                select(SessionPriceCorrection)
                .where(SessionPriceCorrection.session_id == session_id)
                .order_by(SessionPriceCorrection.id)
            )
        ).all()
    )
    assert cs is not None and pricing is not None
    return cs, pricing, corrections


async def test_a_session_priced_on_the_fallback_is_flagged_with_its_area(session: AsyncSession) -> None:
    place, cp = await spot_place(session)
    cs = await charge(session, place, cp, START, STOP, 2000)
    cs, pricing, corrections = await reread(session, cs.id)
    assert (pricing.spot_area, pricing.awaits_spot_prices, pricing.needs_review) == ("NO1", True, True)
    assert (cs.cost_total_minor, corrections) == (500, [])  # fallback kr 2,00 excl. VAT for 2 kWh


async def test_arriving_prices_replace_the_fallback_price_with_a_recorded_correction(session: AsyncSession) -> None:
    place, cp = await spot_place(session)
    cs = await charge(session, place, cp, START, STOP, 2000)
    old_snapshot = dict(cs.cost_snapshot or {})

    recorded = await record_day(session, ACTOR, fixture_day("2025-10-27"), now=AFTER)

    assert recorded.changed and recorded.corrections.corrected == [cs.id]
    cs, pricing, corrections = await reread(session, cs.id)
    assert (pricing.awaits_spot_prices, pricing.needs_review) == (False, False)
    snapshot = cs.cost_snapshot or {}
    assert snapshot["warnings"] == [] and len(snapshot["spot_prices"]) == 4
    assert snapshot["correction"] == {
        "reason": SPOT_PRICES_PUBLISHED,
        "corrected_at": AFTER.isoformat(),
        "previous_total": 500,
        "previous_priced_at": old_snapshot["priced_at"],
    }
    assert snapshot["plan"] == old_snapshot["plan"]
    assert cs.cost_total_minor == snapshot["total"] != 500
    [correction] = corrections
    assert (correction.reason, correction.old_total_minor, correction.new_total_minor, correction.currency) == (
        SPOT_PRICES_PUBLISHED,
        500,
        cs.cost_total_minor,
        "NOK",
    )
    assert correction.old_snapshot == old_snapshot and correction.new_snapshot == snapshot
    assert correction.corrected_at == AFTER and correction.corrected_by == ACTOR.label


async def test_the_same_prices_never_correct_a_session_twice(session: AsyncSession) -> None:
    place, cp = await spot_place(session)
    cs = await charge(session, place, cp, START, STOP, 2000)
    await record_day(session, ACTOR, fixture_day("2025-10-27"), now=AFTER)
    again = await record_day(session, ACTOR, fixture_day("2025-10-27"), now=AFTER)
    explicit = await reprice_range(session, ACTOR, "NO1", date(2025, 10, 27), date(2025, 10, 27), now=AFTER)

    assert not again.changed and again.corrections.corrected == [] and explicit.corrected == []
    assert len((await reread(session, cs.id))[2]) == 1


async def test_a_session_over_midnight_is_corrected_day_by_day(session: AsyncSession) -> None:
    place, cp = await spot_place(session)
    # 23:30 on 2025-10-26 to 00:30 on 2025-10-27 in Oslo (UTC+1 after the clocks went back).
    cs = await charge(session, place, cp, utc(2025, 10, 26, 22, 30), utc(2025, 10, 26, 23, 30), 2000)

    first = await record_day(session, ACTOR, fixture_day("2025-10-27"), now=AFTER)
    assert first.corrections.corrected == [cs.id] and first.corrections.still_waiting == [cs.id]
    _, pricing, _ = await reread(session, cs.id)
    assert pricing.awaits_spot_prices is True

    second = await record_day(session, ACTOR, fixture_day("2025-10-26"), now=AFTER)
    assert second.corrections.corrected == [cs.id] and second.corrections.still_waiting == []
    cs, pricing, corrections = await reread(session, cs.id)
    assert pricing.awaits_spot_prices is False and (cs.cost_snapshot or {})["warnings"] == []
    assert [c.new_total_minor for c in corrections][-1] == cs.cost_total_minor
    assert corrections[1].old_snapshot == corrections[0].new_snapshot


async def test_a_session_on_an_invoice_keeps_its_price(session: AsyncSession, monkeypatch: pytest.MonkeyPatch) -> None:
    place, cp = await spot_place(session)
    cs = await charge(session, place, cp, START, STOP, 2000)

    async def on_an_invoice(_session: AsyncSession, _cs: ChargingSession) -> bool:
        return True

    monkeypatch.setattr("ladeportal.pricing.spot_corrections.is_invoiced", on_an_invoice)
    recorded = await record_day(session, ACTOR, fixture_day("2025-10-27"), now=AFTER)

    assert recorded.corrections.invoiced == [cs.id] and recorded.corrections.corrected == []
    cs, pricing, corrections = await reread(session, cs.id)
    assert (cs.cost_total_minor, pricing.awaits_spot_prices, corrections) == (500, True, [])


async def test_the_plan_version_that_priced_the_session_prices_it_again(session: AsyncSession) -> None:
    place, cp = await spot_place(session)
    cs = await charge(session, place, cp, START, STOP, 2000)
    fixed = await create_plan(session, ACTOR, place.org.id, "Fast", GUESTS, effective_from=utc(2025, 1, 1))
    await assign_group_plan(session, ACTOR, place.org.id, place.residents.id, fixed.id)

    await record_day(session, ACTOR, fixture_day("2025-10-27"), now=AFTER)

    cs, _, _ = await reread(session, cs.id)
    snapshot = cs.cost_snapshot or {}
    assert snapshot["plan"]["name"] == "Spot" and {line["kind"] for line in snapshot["lines"]} == {"energy"}


async def test_prices_stored_otherwise_are_applied_by_an_explicit_repricing(session: AsyncSession) -> None:
    place, cp = await spot_place(session)
    cs = await charge(session, place, cp, START, STOP, 2000)
    await store_prices(session, "NO1", "NOK", fixture_day("2025-10-27").prices)
    await session.commit()

    report = await reprice_range(session, ACTOR, "NO1", date(2025, 10, 27), date(2025, 10, 27), now=AFTER)

    assert report.corrected == [cs.id]
    assert (await reread(session, cs.id))[1].awaits_spot_prices is False


async def test_the_fetch_job_corrects_the_sessions_of_the_day_it_stores(
    db: Database, spot_api: tuple[str, list[str]]
) -> None:
    async with db.session() as s:
        place, cp = await spot_place(s)
        cs = await charge(s, place, cp, START, STOP, 2000)
    async with SpotPriceClient(f"{spot_api[0]}/api/v1/prices") as client:
        report = await fetch_due_prices(db, client, now=utc(2025, 10, 27, 8))
    assert report.fetched == [("NO1", "NOK", date(2025, 10, 27))]
    async with db.session() as s:
        cs, pricing, corrections = await reread(s, cs.id)
        assert pricing.awaits_spot_prices is False and len(corrections) == 1
        assert await s.scalar(select(func.count()).select_from(SessionPriceCorrection)) == 1
