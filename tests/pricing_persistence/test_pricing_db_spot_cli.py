"""`ladeportal spot-prices fetch | import | reprice` against the test database and the stand-in price API."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from pricing_db_support import SPOT, charge, make_place, utc
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from tests.factories import ACTOR, make_charger
from tests.spot_price_server import SPOT_FIXTURES
from typer.testing import CliRunner

from ladeportal.cli.main import app as cli
from ladeportal.db.engine import Database
from ladeportal.pricing.assignments import assign_group_plan
from ladeportal.pricing.models import SessionPricing, SpotPriceInterval
from ladeportal.pricing.services import create_plan
from ladeportal.pricing.spot_price_parsing import parse_day_ahead
from ladeportal.pricing.spot_store import store_prices
from ladeportal.settings import get_settings


@pytest.fixture(autouse=True)
def cli_settings(db: Database, spot_api: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    base = spot_api[0]
    monkeypatch.setenv("LADEPORTAL_DATABASE_URL", db.url)
    monkeypatch.setenv("LADEPORTAL_SPOT_PRICE_URL", f"{base}/api/v1/prices")
    monkeypatch.setenv("LADEPORTAL_SPOT_PRICE_URL_SE", f"{base}/se/api/v1/prices")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def spot_prices(*args: str) -> tuple[int, str]:
    def invoke() -> tuple[int, str]:
        # In a thread: the command runs its own event loop, as it does from a shell.
        result = CliRunner().invoke(cli, ["spot-prices", *args])
        return result.exit_code, result.output

    return await asyncio.to_thread(invoke)


async def flagged_session(s: AsyncSession) -> int:
    place = await make_place(s)
    cp = await make_charger(s, place.site)
    plan = await create_plan(s, ACTOR, place.org.id, "Spot", SPOT, effective_from=utc(2025, 1, 1))
    await assign_group_plan(s, ACTOR, place.org.id, place.residents.id, plan.id)
    cs = await charge(s, place, cp.charge_point.id, utc(2025, 10, 27, 10), utc(2025, 10, 27, 11), 2000)
    return cs.id


async def awaits_prices(s: AsyncSession, session_id: int) -> bool:
    s.expunge_all()
    pricing = await s.get(SessionPricing, session_id)
    assert pricing is not None
    return pricing.awaits_spot_prices


async def test_fetch_stores_past_days_reprices_and_is_idempotent(
    session: AsyncSession, spot_api: tuple[str, list[str]]
) -> None:
    session_id = await flagged_session(session)
    requested = spot_api[1]

    code, output = await spot_prices("fetch", "--area", "no1", "--from", "2025-10-26", "--to", "2025-10-28")

    assert code == 1, output  # one day of the range is missing
    assert "2025-10-26 NO1: fetched 100 intervals, 0 sessions re-priced" in output
    assert "2025-10-27 NO1: fetched 96 intervals, 1 session re-priced" in output
    assert "2025-10-28 NO1: not published" in output
    assert "NO1 2025-10-26..2025-10-28 in NOK: 2 fetched, 0 unchanged, 0 already stored, 1 not published" in output
    assert not await awaits_prices(session, session_id)

    before = len(requested)
    code, output = await spot_prices("fetch", "--area", "NO1", "--from", "2025-10-26", "--to", "2025-10-27")
    assert code == 0, output
    assert "2025-10-26 NO1: already stored" in output and "2 already stored" in output
    assert len(requested) == before
    assert await session.scalar(select(func.count()).select_from(SpotPriceInterval)) == 196


async def test_fetch_reports_as_json(session: AsyncSession) -> None:
    code, output = await spot_prices("fetch", "--area", "NO4", "--from", "2025-10-27", "--json")
    assert code == 0, output
    data = json.loads(output)
    assert (data["area"], data["currency"], data["counts"]["fetched"]) == ("NO4", "NOK", 1)
    assert data["days"] == [{"day": "2025-10-27", "status": "fetched", "intervals": 96, "corrected": 0, "message": ""}]


async def test_fetch_reads_swedish_areas_in_sek(session: AsyncSession) -> None:
    code, output = await spot_prices("fetch", "--area", "SE3", "--from", "2025-10-27")
    assert code == 0, output
    assert "SE3 2025-10-27..2025-10-27 in SEK: 1 fetched" in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--area", "NO9", "--from", "2025-10-27"], "Unknown price area 'NO9'"),
        (["--area", "SE3", "--from", "2025-10-27", "--currency", "NOK"], "published in SEK, EUR, not NOK"),
        (["--area", "NO1", "--from", "2025-13-01"], "--from '2025-13-01' is not a date"),
        (["--area", "NO1", "--from", "2025-10-27", "--to", "2025-10-26"], "ends (2025-10-26) before it starts"),
        (["--area", "NO1", "--from", "2025-01-01", "--to", "2025-12-31"], "365 days asked for; at most 92"),
        (
            ["--area", "NO1", "--from", (date.today() + timedelta(days=3)).isoformat()],
            "published one day ahead at most",
        ),
    ],
)
async def test_fetch_refuses_bad_areas_and_dates_before_asking_the_source(
    session: AsyncSession, spot_api: tuple[str, list[str]], args: list[str], message: str
) -> None:
    before = len(spot_api[1])
    code, output = await spot_prices("fetch", *args)
    assert code == 1 and message in output, output
    assert len(spot_api[1]) == before


async def test_import_loads_a_file_of_days_and_reprices(session: AsyncSession, tmp_path: Path) -> None:
    session_id = await flagged_session(session)
    rows = [
        *json.loads((SPOT_FIXTURES / "2025-10-26_NO1.json").read_text()),
        *json.loads((SPOT_FIXTURES / "2025-10-27_NO1.json").read_text()),
    ]
    file = tmp_path / "prices.json"
    file.write_text(json.dumps(rows))

    code, output = await spot_prices("import", str(file), "--area", "NO1")
    assert code == 0, output
    assert "2025-10-26 NO1: stored 100 intervals in NOK, 0 sessions re-priced" in output
    assert "2025-10-27 NO1: stored 96 intervals in NOK, 1 session re-priced" in output
    assert not await awaits_prices(session, session_id)

    code, output = await spot_prices("import", str(file), "--area", "NO1")
    assert code == 0 and output.count("already stored, unchanged") == 2, output


async def test_import_refuses_a_broken_file_whole(session: AsyncSession, tmp_path: Path) -> None:
    rows = json.loads((SPOT_FIXTURES / "2025-10-27_NO1.json").read_text())
    file = tmp_path / "prices.json"
    file.write_text(json.dumps(rows[:-1]))
    code, output = await spot_prices("import", str(file), "--area", "NO1")
    assert code == 1 and "NO1 2025-10-27: intervals run" in output, output
    assert await session.scalar(select(func.count()).select_from(SpotPriceInterval)) == 0


async def test_reprice_applies_prices_stored_by_other_means(session: AsyncSession) -> None:
    session_id = await flagged_session(session)
    day = parse_day_ahead((SPOT_FIXTURES / "2025-10-27_NO1.json").read_bytes(), area="NO1", day=date(2025, 10, 27))
    await store_prices(session, "NO1", "NOK", day.prices)
    await session.commit()

    code, output = await spot_prices("reprice", "--area", "NO1", "--from", "2025-10-27")
    assert code == 0 and "1 session re-priced" in output, output
    assert not await awaits_prices(session, session_id)
    code, output = await spot_prices("reprice", "--area", "NO1", "--from", "2025-10-27")
    assert code == 0 and "0 sessions re-priced" in output, output
