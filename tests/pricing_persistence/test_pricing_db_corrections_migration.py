"""Sessions priced on the fallback before corrections existed are found by the migration that adds them."""

from __future__ import annotations

import asyncio
from pathlib import Path

from pricing_db_support import SPOT, charge, make_place, utc
from tests.factories import ACTOR, make_charger

from ladeportal.db.engine import Database
from ladeportal.db.migrate import downgrade, upgrade
from ladeportal.pricing.assignments import assign_group_plan
from ladeportal.pricing.models import SessionPricing
from ladeportal.pricing.services import create_plan


def test_the_migration_flags_sessions_priced_on_the_fallback_from_their_snapshot(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'migrated.db'}"
    upgrade(url)

    async def priced_on_the_fallback() -> int:
        db = Database(url)
        try:
            async with db.session() as s:
                place = await make_place(s)
                cp = await make_charger(s, place.site)
                plan = await create_plan(s, ACTOR, place.org.id, "Spot", SPOT, effective_from=utc(2025, 1, 1))
                await assign_group_plan(s, ACTOR, place.org.id, place.residents.id, plan.id)
                cs = await charge(s, place, cp.charge_point.id, utc(2025, 10, 27, 10), utc(2025, 10, 27, 11), 2000)
                return cs.id
        finally:
            await db.dispose()

    async def flag(session_id: int) -> tuple[str | None, bool]:
        db = Database(url)
        try:
            async with db.session() as s:
                pricing = await s.get(SessionPricing, session_id)
                assert pricing is not None
                return pricing.spot_area, pricing.awaits_spot_prices
        finally:
            await db.dispose()

    session_id = asyncio.run(priced_on_the_fallback())
    downgrade(url, "0012_email_channel")
    upgrade(url)
    assert asyncio.run(flag(session_id)) == ("NO1", True)
