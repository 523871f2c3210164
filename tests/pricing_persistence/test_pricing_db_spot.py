"""Spot prices fetched over HTTP from a stand-in server, stored exactly, retried with back-off."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from pricing_db_support import SPOT, charge, make_place, utc
from sqlalchemy import func, select
from tests.factories import ACTOR, make_charger
from tests.spot_price_server import SPOT_FIXTURES

from ladeportal.db.engine import Database
from ladeportal.jobs.periodic import registered_jobs
from ladeportal.pricing.assignments import assign_group_plan
from ladeportal.pricing.models import SpotPriceFetch, SpotPriceInterval
from ladeportal.pricing.services import create_plan
from ladeportal.pricing.spot_jobs import areas_in_use, fetch_due_prices
from ladeportal.pricing.spot_price_parsing import parse_day_ahead
from ladeportal.pricing.spot_prices import SpotPriceClient
from ladeportal.pricing.spot_store import has_day, load_prices

# 12:00 UTC on 2025-10-26 is 13:00 in Oslo: today's and tomorrow's prices are both due.
AFTER_AUCTION = utc(2025, 10, 26, 12, 0)


async def test_today_and_tomorrow_are_fetched_once_and_stored_exactly(
    db: Database, spot_api: tuple[str, list[str]]
) -> None:
    base, requested = spot_api
    async with db.session() as s:
        await make_place(s)
    before = len(requested)
    async with SpotPriceClient(f"{base}/api/v1/prices") as client:
        report = await fetch_due_prices(db, client, now=AFTER_AUCTION)
        assert report.fetched == [("NO1", "NOK", date(2025, 10, 26)), ("NO1", "NOK", date(2025, 10, 27))]
        again = await fetch_due_prices(db, client, now=AFTER_AUCTION + timedelta(minutes=10))
    assert again.fetched == [] and again.failed == []
    assert len(requested) - before == 2  # the second run found both days stored and asked for nothing

    expected = parse_day_ahead(
        (SPOT_FIXTURES / "2025-10-27_NO1.json").read_bytes(), area="NO1", day=date(2025, 10, 27)
    ).prices
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(SpotPriceInterval)) == 100 + 96  # DST day: 25 h
        assert await has_day(s, "NO1", "NOK", date(2025, 10, 26))
        stored = await load_prices(s, "NO1", "NOK", utc(2025, 10, 26, 23), utc(2025, 10, 27, 23))
    assert [(p.start, p.end, p.price_per_kwh) for p in stored] == [(p.start, p.end, p.price_per_kwh) for p in expected]
    assert all(isinstance(p.price_per_kwh, Decimal) for p in stored)


async def test_before_the_auction_only_today_is_wanted(db: Database, spot_api: tuple[str, list[str]]) -> None:
    base, _ = spot_api
    async with db.session() as s:
        await make_place(s)
    async with SpotPriceClient(f"{base}/api/v1/prices") as client:
        report = await fetch_due_prices(db, client, now=utc(2025, 10, 27, 8))
    assert report.fetched == [("NO1", "NOK", date(2025, 10, 27))]


async def test_failures_back_off_and_are_retried(db: Database, spot_api: tuple[str, list[str]]) -> None:
    base, _ = spot_api
    async with db.session() as s:
        await make_place(s)
    now = utc(2025, 10, 27, 8)
    async with SpotPriceClient(f"{base}/failing/v1/prices") as failing:
        first = await fetch_due_prices(db, failing, now=now)
        assert len(first.failed) == 1 and "503" in first.failed[0][3]
        soon = await fetch_due_prices(db, failing, now=now + timedelta(minutes=1))
        assert soon.waiting == [("NO1", "NOK", date(2025, 10, 27))] and soon.failed == []
        await fetch_due_prices(db, failing, now=now + timedelta(minutes=6))
    async with db.session() as s:
        state = await s.get(SpotPriceFetch, ("NO1", "NOK", date(2025, 10, 27)))
        assert state is not None and state.attempts == 2
        assert state.next_attempt_at == now + timedelta(minutes=6) + timedelta(minutes=10)
    async with SpotPriceClient(f"{base}/api/v1/prices") as working:
        late = await fetch_due_prices(db, working, now=now + timedelta(minutes=16))
    assert late.fetched == [("NO1", "NOK", date(2025, 10, 27))]
    async with db.session() as s:
        state = await s.get(SpotPriceFetch, ("NO1", "NOK", date(2025, 10, 27)))
        assert state is not None and state.completed_at is not None and state.last_error is None


def test_the_job_is_registered_for_the_worker() -> None:
    import ladeportal.jobs.registry  # noqa: F401

    assert "pricing.fetch_spot_prices" in [job.name for job in registered_jobs()]


async def test_swedish_sites_get_spot_prices_in_sek_and_their_spot_plans_use_them(
    db: Database, spot_api: tuple[str, list[str]]
) -> None:
    base, requested = spot_api
    async with db.session() as s:
        place = await make_place(s, price_area="SE3")
        cp = await make_charger(s, place.site)
        plan = await create_plan(
            s,
            ACTOR,
            place.org.id,
            "Spot",
            {**SPOT, "energy": {**SPOT["energy"], "area": "SE3"}},
            effective_from=utc(2025, 1, 1),
        )
        await assign_group_plan(s, ACTOR, place.org.id, place.residents.id, plan.id)
        assert await areas_in_use(s) == [("SE3", "SEK")]
    async with SpotPriceClient(f"{base}/api/v1/prices", swedish_base_url=f"{base}/se/api/v1/prices") as client:
        report = await fetch_due_prices(db, client, now=utc(2025, 10, 27, 8))
    assert report.fetched == [("SE3", "SEK", date(2025, 10, 27))] and report.failed == []
    assert requested[-1] == "/se/api/v1/prices/2025/10-27_SE3.json"

    async with db.session() as s:
        cs = await charge(s, place, cp.charge_point.id, utc(2025, 10, 27, 10), utc(2025, 10, 27, 11), 2000)
    snapshot = cs.cost_snapshot or {}
    assert (cs.currency, snapshot["warnings"], snapshot["needs_review"]) == ("SEK", [], False)
    # The first quarter-hour of 11:00 in Stockholm, as published in SEK.
    assert snapshot["spot_prices"][0] == {
        "start": "2025-10-27T10:00:00+00:00",
        "end": "2025-10-27T10:15:00+00:00",
        "price_per_kwh_excl_vat": "0.26455",
    }
