"""The demo brings its own spot prices, so its guests' spot plan prices sessions without the fallback."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from pricing_db_support import utc
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from tests.factories import ACTOR
from tests.spot_price_server import SPOT_FIXTURES

from ladeportal.chargers.models import ChargePoint
from ladeportal.db.base import utcnow
from ladeportal.db.engine import Database
from ladeportal.demo import load_demo
from ladeportal.pricing.spot_demo import demo_day_prices, load_demo_prices
from ladeportal.pricing.spot_price_parsing import area_time_zone, parse_day_ahead
from ladeportal.pricing.spot_store import has_day, load_prices, local_day_bounds, store_prices
from ladeportal.sessions.models import ChargingSession
from ladeportal.sessions.services import ChargerRef, start_session, stop_session


async def test_the_demo_loads_recent_days_and_tomorrow_and_its_guests_pay_spot_prices(
    db: Database, tmp_path: Path
) -> None:
    result = await load_demo(db, str(tmp_path / "chargers.json"))
    today = utcnow().astimezone(area_time_zone("NO1")).date()
    async with db.session() as s:
        for offset in range(-7, 2):
            assert await has_day(s, "NO1", "NOK", today + timedelta(days=offset)), offset

        cp = await s.scalar(select(ChargePoint).where(ChargePoint.ocpp_id == "DEMO-A1"))
        assert cp is not None
        charger = ChargerRef(cp.id, result.organization_id, cp.site_id)
        # The demo's plans take effect when it is loaded: a guest who charges in the hour after.
        start = utcnow().replace(microsecond=0) + timedelta(minutes=1)
        stop = start + timedelta(hours=1)
        started = await start_session(s, charger, connector=1, id_tag="0A0B0C01", meter_start_wh=1000, started_at=start)
        await stop_session(
            s,
            charger,
            transaction_id=started.transaction_id,
            meter_stop_wh=8000,
            stopped_at=stop,
            reason="Local",
            id_tag=None,
            readings=[],
            payload={},
        )
        s.expunge_all()
        cs = await s.get(ChargingSession, started.transaction_id)
    assert cs is not None
    snapshot = cs.cost_snapshot or {}
    assert snapshot["plan"]["name"] == "Gjester"
    assert snapshot["warnings"] == [] and snapshot["needs_review"] is False and len(snapshot["spot_prices"]) >= 4


async def test_demo_prices_are_the_same_every_time_and_cover_the_local_day() -> None:
    first, again = demo_day_prices("NO1", date(2025, 10, 26)), demo_day_prices("NO1", date(2025, 10, 26))
    assert first == again and len(first.prices) == 100  # 25 hours: the clocks went back
    assert (first.prices[0].start, first.prices[-1].end) == local_day_bounds("NO1", date(2025, 10, 26))
    assert first.prices != demo_day_prices("NO1", date(2025, 10, 27)).prices
    assert demo_day_prices("SE3", date(2025, 10, 27)).currency == "SEK"


async def test_fetched_prices_are_kept_and_loading_again_adds_nothing(session: AsyncSession) -> None:
    published = parse_day_ahead(
        (SPOT_FIXTURES / "2025-10-27_NO1.json").read_bytes(), area="NO1", day=date(2025, 10, 27)
    )
    await store_prices(session, "NO1", "NOK", published.prices)
    await session.commit()

    loaded = await load_demo_prices(session, ACTOR, "NO1", today=date(2025, 10, 27))
    assert date(2025, 10, 27) not in loaded and len(loaded) == 8
    assert await load_demo_prices(session, ACTOR, "NO1", today=date(2025, 10, 27)) == []
    kept = await load_prices(session, "NO1", "NOK", utc(2025, 10, 27, 10), utc(2025, 10, 27, 11))
    assert [p.price_per_kwh for p in kept] == [
        p.price_per_kwh for p in published.prices if utc(2025, 10, 27, 10) <= p.start < utc(2025, 10, 27, 11)
    ]
