"""The sessions list: each filter narrows to the right sessions, names are the organisation's own, newest
first, bounded pages, one statement for the rows and one for the count, the stored price in the detail."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.engine import Database
from ladeportal.errors import NotFound, ValidationFailed
from ladeportal.sessions.detail import get_session_detail
from ladeportal.sessions.filters import Period, SessionFilter, StateFilter, month_range, parse_filter
from ladeportal.sessions.listing import CORRECTED, FALLBACK_PRICE, NOT_PRICED, list_sessions
from tests.query_count import statements_sent
from tests.sessions.world import KARI_PHONE_DIGITS, World, build_world

TZ = "Europe/Oslo"


@pytest.fixture
async def world(session: AsyncSession) -> World:
    return await build_world(session)


async def ids(session: AsyncSession, w: World, flt: SessionFilter) -> list[int]:
    return [r.id for r in (await list_sessions(session, w.org.id, flt, TZ)).items]


async def test_all_sessions_of_the_organisation_newest_first(session: AsyncSession, world: World) -> None:
    w = world
    assert await ids(session, w, SessionFilter()) == [w.visitor, w.ola, w.fallback, w.kari, w.unknown]
    assert await ids(session, w, SessionFilter()) == [
        r.id for r in (await list_sessions(session, w.org.id, SessionFilter(), TZ)).items
    ]
    other = await list_sessions(session, w.other.id, SessionFilter(), TZ)
    assert [r.id for r in other.items] == [w.other_kari]


async def test_each_filter_narrows(session: AsyncSession, world: World) -> None:
    w = world
    assert await ids(session, w, SessionFilter(site_id=w.site_2.id)) == [w.ola, w.unknown]
    assert await ids(session, w, SessionFilter(charge_point_id=w.charger_1)) == [w.visitor, w.fallback, w.kari]
    assert await ids(session, w, SessionFilter(group_id=w.guests)) == [w.visitor, w.ola]
    assert await ids(session, w, SessionFilter(member="kari")) == [w.fallback, w.kari]
    assert await ids(session, w, SessionFilter(member="912 34 567")) == [w.fallback, w.kari]
    assert await ids(session, w, SessionFilter(member="gjestenøkkel")) == [w.visitor]
    assert await ids(session, w, SessionFilter(member="DEADBEEF")) == [w.unknown]
    assert await ids(session, w, SessionFilter(member="nobody at all")) == []
    assert await ids(session, w, SessionFilter(state=StateFilter.running)) == [w.visitor]
    assert await ids(session, w, SessionFilter(state=StateFilter.finished)) == [w.ola, w.fallback, w.kari]
    assert await ids(session, w, SessionFilter(state=StateFilter.no_stop)) == [w.unknown]
    assert await ids(session, w, SessionFilter(flagged=True)) == [w.fallback, w.unknown]
    assert await ids(
        session, w, SessionFilter(site_id=w.site_1.id, member="kari", group_id=w.residents, flagged=True)
    ) == [w.fallback]


async def test_dates_are_days_in_the_organisations_time_zone(session: AsyncSession, world: World) -> None:
    w = world
    # Ola started 31 Jan 23:30 UTC, which is 1 February 00:30 in Oslo.
    february = SessionFilter(since=date(2026, 2, 1), until=date(2026, 2, 28))
    assert await ids(session, w, february) == [w.ola]
    january = SessionFilter(since=date(2026, 1, 1), until=date(2026, 1, 31))
    assert await ids(session, w, january) == [w.fallback, w.kari, w.unknown]
    assert await ids(session, w, SessionFilter(since=date(2026, 1, 10), until=date(2026, 1, 10))) == [w.kari]


def test_month_presets() -> None:
    assert month_range(Period.this_month, date(2026, 3, 15)) == (date(2026, 3, 1), date(2026, 3, 31))
    assert month_range(Period.last_month, date(2026, 3, 15)) == (date(2026, 2, 1), date(2026, 2, 28))
    assert month_range(Period.last_month, date(2026, 1, 1)) == (date(2025, 12, 1), date(2025, 12, 31))
    flt = parse_filter(period="last_month", since="2020-01-01", today=date(2026, 2, 3))
    assert (flt.since, flt.until) == (date(2026, 1, 1), date(2026, 1, 31))


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"since": "31.01.2026"}, "since"),
        ({"until": "2026-02-30"}, "until"),
        ({"since": "9999-01-01"}, "since"),
        ({"since": "2026-02-01", "until": "2026-01-01"}, "until"),
        ({"state": "exploded"}, "state"),
        ({"site": "not-a-uuid"}, "site"),
        ({"charger": "1"}, "charger"),
        ({"group": "x"}, "group"),
        ({"period": "next_year"}, "period"),
        ({"flagged": "maybe"}, "flagged"),
        ({"member": "x" * 101}, "member"),
    ],
)
def test_bad_filter_input_names_its_field(values: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_filter(**values)
    assert caught.value.field == field


async def test_names_are_the_organisations_own(session: AsyncSession, world: World) -> None:
    w = world
    rows = {r.id: r for r in (await list_sessions(session, w.org.id, SessionFilter(), TZ)).items}
    assert (rows[w.kari].person, rows[w.kari].person_kind) == ("Kari Nordmann", "member")
    assert rows[w.ola].person_kind == "phone" and rows[w.ola].person.startswith("+47")
    assert (rows[w.visitor].person, rows[w.visitor].person_kind) == ("Gjestenøkkel 1", "visitor_key")
    assert (rows[w.unknown].person, rows[w.unknown].person_kind) == ("DEADBEEF", "tag")
    assert rows[w.kari].group_name == "Beboere"
    other = (await list_sessions(session, w.other.id, SessionFilter(), TZ)).items
    assert [r.person for r in other] == ["Kari hos Beta"]
    # Searching the other organisation by this organisation's name for the same person finds nothing.
    assert (await list_sessions(session, w.other.id, SessionFilter(member="Nordmann"), TZ)).items == []
    assert [
        r.id for r in (await list_sessions(session, w.other.id, SessionFilter(member=KARI_PHONE_DIGITS), TZ)).items
    ] == [w.other_kari]


async def test_rows_carry_energy_cost_and_flags(session: AsyncSession, world: World) -> None:
    w = world
    rows = {r.id: r for r in (await list_sessions(session, w.org.id, SessionFilter(), TZ)).items}
    assert (rows[w.kari].energy_wh, rows[w.kari].cost_minor, rows[w.kari].currency) == (12345, 5000, "NOK")
    assert rows[w.kari].flags == [CORRECTED] and not rows[w.kari].flagged
    assert rows[w.visitor].running and rows[w.visitor].energy_wh == 1500 and rows[w.visitor].cost_minor is None
    assert FALLBACK_PRICE in rows[w.fallback].flags and rows[w.fallback].flagged
    assert rows[w.unknown].flags == ["no_stop_received", NOT_PRICED]
    assert rows[w.kari].duration().total_seconds() == 75 * 60


async def test_paging_is_bounded_and_counted(session: AsyncSession, world: World) -> None:
    w = world
    page = await list_sessions(session, w.org.id, SessionFilter(), TZ, page=2, page_size=2)
    assert (page.total, page.pages, [r.id for r in page.items]) == (5, 3, [w.fallback, w.kari])
    huge = await list_sessions(session, w.org.id, SessionFilter(), TZ, page=1, page_size=10**6)
    assert huge.page_size == 200


async def test_one_statement_for_the_rows_and_one_for_the_count(
    session: AsyncSession, world: World, db: Database
) -> None:
    with statements_sent(db.engine) as sent:
        page = await list_sessions(session, world.org.id, SessionFilter(member="a"), TZ)
    assert len(page.items) >= 1
    assert len([s for s in sent if s.lstrip().upper().startswith("SELECT")]) == 2


async def test_the_detail_has_the_stored_price_meter_and_corrections(session: AsyncSession, world: World) -> None:
    w = world
    detail = await get_session_detail(session, w.org.id, w.kari)
    assert [line.kind for line in detail.lines] == ["energy", "start_fee"]
    assert sum(line.gross for line in detail.lines) == 5000 == detail.snapshot["total"]
    assert detail.meter.meter_start_wh == 10_000 and detail.meter.meter_stop_wh == 22_345
    assert [(c.old_total_minor, c.new_total_minor) for c in detail.corrections] == [(4000, 5000)]
    with pytest.raises(NotFound):
        await get_session_detail(session, w.other.id, w.kari)
    with pytest.raises(NotFound):
        await get_session_detail(session, w.org.id, w.other_kari)
