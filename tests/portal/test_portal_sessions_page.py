"""The sessions page, its detail view, its export and the JSON API: administrators and finance staff see
their organisation's sessions under their organisation's names, filters narrow, bad input is a clear
422, and an outsider gets 404 everywhere and never sees another organisation's sessions or names."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.portal.conftest import TwoOrgs, csrf_of
from tests.portal.ocpp_rows import all_by_testid
from tests.sessions.world import World, build_world


@pytest.fixture
async def world(two_orgs: TwoOrgs, session: AsyncSession) -> World:
    return await build_world(session, org=two_orgs.org_a, other=two_orgs.org_b)


def rows_of(html: str) -> list[int]:
    return [int(v) for v in re.findall(r'data-testid="session-row" data-session="(\d+)"', html)]


async def test_staff_see_every_session_with_names_energy_and_cost(two_orgs: TwoOrgs, world: World) -> None:
    base = f"/portal/o/{world.org.id}/sessions"
    for person in (two_orgs.admin_a, two_orgs.finance_a):
        page = await person.client.get(base)
        assert page.status_code == 200
        assert rows_of(page.text) == [world.visitor, world.ola, world.fallback, world.kari, world.unknown]
        assert f'href="{base}"' in (await person.client.get(f"/portal/o/{world.org.id}/")).text  # in the menu
    html = (await two_orgs.admin_a.client.get(base)).text
    people = all_by_testid(html, "session-person")
    assert "Kari Nordmann" in people and "Kari hos Beta" not in html
    assert "Gjestenøkkel 1" in html and "<code>DEADBEEF</code>" in html
    assert "12,3 kWh" in html and "kr 50,00" in html
    assert "Priset med reserveprisen (spotpris mangler)" in html
    assert "5 ladeøkter" in html


async def test_filters_narrow_the_page(two_orgs: TwoOrgs, world: World) -> None:
    c, base = two_orgs.admin_a.client, f"/portal/o/{world.org.id}/sessions"
    cases = {
        f"site={world.site_2.id}": [world.ola, world.unknown],
        f"charger={world.charger_1}": [world.visitor, world.fallback, world.kari],
        f"group={world.residents}": [world.fallback, world.kari],
        "member=kari": [world.fallback, world.kari],
        "member=912+34+567": [world.fallback, world.kari],
        "since=2026-02-01&until=2026-02-28": [world.ola],
        "state=running": [world.visitor],
        "state=no_stop": [world.unknown],
        "flagged=1": [world.fallback, world.unknown],
    }
    for query, expected in cases.items():
        page = await c.get(f"{base}?{query}")
        assert page.status_code == 200, query
        assert rows_of(page.text) == expected, query
    charger_page = await c.get(f"/portal/o/{world.org.id}/chargers/{world.charger_1}")
    assert f'href="{base}?charger={world.charger_1}"' in charger_page.text
    preset = await c.get(f"{base}?period=last_month")
    assert preset.status_code == 200 and 'name="since" type="date" value="20' in preset.text


async def test_bad_filter_input_is_a_clear_422(two_orgs: TwoOrgs, world: World) -> None:
    c, base = two_orgs.admin_a.client, f"/portal/o/{world.org.id}/sessions"
    page = await c.get(f"{base}?since=31.01.2026")
    assert page.status_code == 422
    assert "Oppgi datoen som ÅÅÅÅ-MM-DD" in page.text and rows_of(page.text) == []
    assert (await c.get(f"{base}?since=2026-02-01&until=2026-01-01")).status_code == 422
    assert (await c.get(f"{base}?state=exploded")).status_code == 422
    assert (await c.get(f"{base}/export.csv?site=nope")).status_code == 422
    api = await c.get(f"/api/v1/orgs/{world.org.id}/sessions", params={"since": "yesterday"})
    assert api.status_code == 422
    assert (await c.get(f"/api/v1/orgs/{world.org.id}/sessions", params={"page_size": 10_000})).status_code == 422


async def test_no_match_has_its_own_empty_state(two_orgs: TwoOrgs, world: World) -> None:
    empty = await two_orgs.admin_a.client.get(f"/portal/o/{world.org.id}/sessions?member=ingen+slik")
    assert empty.status_code == 200
    assert "Ingen ladeøkter passer" in empty.text and rows_of(empty.text) == []


async def test_an_organisation_without_sessions_says_so(two_orgs: TwoOrgs) -> None:
    page = await two_orgs.admin_a.client.get(f"/portal/o/{two_orgs.org_a.id}/sessions")
    assert page.status_code == 200
    assert "Ingen ladeøkter ennå" in page.text and rows_of(page.text) == []


async def test_the_outsider_gets_404_and_sees_only_its_own(two_orgs: TwoOrgs, world: World) -> None:
    outsider, base = two_orgs.admin_b.client, f"/portal/o/{world.org.id}/sessions"
    for url in (
        base,
        f"{base}/export.csv",
        f"{base}/export.xlsx",
        f"{base}/{world.kari}",
        f"/api/v1/orgs/{world.org.id}/sessions",
        f"/api/v1/orgs/{world.org.id}/sessions/{world.kari}",
    ):
        assert (await outsider.get(url)).status_code == 404, url
    own_base = f"/portal/o/{world.other.id}/sessions"
    own = await outsider.get(own_base)
    assert rows_of(own.text) == [world.other_kari]
    assert "Kari hos Beta" in own.text and "Kari Nordmann" not in own.text
    # Another organisation's session id through one's own organisation: as if it did not exist.
    assert (await outsider.get(f"{own_base}/{world.kari}")).status_code == 404
    assert (await outsider.get(f"/api/v1/orgs/{world.other.id}/sessions/{world.kari}")).status_code == 404
    # Filtering one's own list by the other organisation's ids finds nothing of theirs.
    assert rows_of((await outsider.get(f"{own_base}?site={world.site_1.id}")).text) == []
    export = await outsider.get(f"{own_base}/export.csv")
    assert "Kari hos Beta" in export.text and "Nordmann" not in export.text
    api = (await outsider.get(f"/api/v1/orgs/{world.other.id}/sessions")).json()
    assert [(i["id"], i["person"]) for i in api["items"]] == [(world.other_kari, "Kari hos Beta")]


async def test_detail_shows_the_stored_breakdown_meter_and_correction(two_orgs: TwoOrgs, world: World) -> None:
    c = two_orgs.finance_a.client
    page = await c.get(f"/portal/o/{world.org.id}/sessions/{world.kari}")
    assert page.status_code == 200
    assert re.findall(r'data-testid="price-line" data-kind="(\w+)"', page.text) == ["energy", "start_fee"]
    assert "Startavgift" in page.text and "Priskorrigeringer" in page.text
    assert "kr 40,00" in page.text and "kr 50,00" in page.text
    assert "Spotprisene kom etter at økten ble priset" in page.text
    assert "Måler ved start" in page.text
    running = await c.get(f"/portal/o/{world.org.id}/sessions/{world.visitor}")
    assert "Prisen settes når økten avsluttes." in running.text
    unpriced = await c.get(f"/portal/o/{world.org.id}/sessions/{world.unknown}")
    assert 'data-testid="price-missing"' in unpriced.text
    assert (await c.get(f"/portal/o/{world.org.id}/sessions/99999999999")).status_code == 404
    assert (await c.get(f"/portal/o/{world.org.id}/sessions/abc")).status_code == 404


async def test_export_follows_the_filter_and_the_viewers_language(two_orgs: TwoOrgs, world: World) -> None:
    c, base = two_orgs.admin_a.client, f"/portal/o/{world.org.id}/sessions"
    nb = await c.get(f"{base}/export.csv?site={world.site_2.id}")
    assert nb.status_code == 200 and nb.headers["content-type"].startswith("text/csv")
    header, *rows = list(csv.reader(io.StringIO(nb.content.decode("utf-8-sig")), delimiter=";"))
    assert header[0] == "Økt" and sorted(int(r[0]) for r in rows) == sorted([world.ola, world.unknown])
    page = await c.get(base)
    await c.post("/portal/language", data={"language": "en", "next": base, "csrf_token": csrf_of(page.text)})
    en = await c.get(f"{base}/export.csv?site={world.site_2.id}")
    header, *rows = list(csv.reader(io.StringIO(en.content.decode("utf-8-sig")), delimiter=";"))
    assert header[0] == "Session" and "Ended without a stop" in {r[header.index("State")] for r in rows}
    xlsx = await c.get(f"{base}/export.xlsx")
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")
    english_page = await c.get(base)
    assert "Only sessions with remarks" in english_page.text and "Bare økter" not in english_page.text


async def test_the_api_lists_with_the_same_filters_and_paging(two_orgs: TwoOrgs, world: World) -> None:
    c, url = two_orgs.finance_a.client, f"/api/v1/orgs/{world.org.id}/sessions"
    first = (await c.get(url, params={"page_size": 2})).json()
    assert (first["total"], first["pages"], [i["id"] for i in first["items"]]) == (5, 3, [world.visitor, world.ola])
    flagged = (await c.get(url, params={"flagged": "1", "charger": str(world.charger_1)})).json()
    assert [(i["id"], i["state"]) for i in flagged["items"]] == [(world.fallback, "finished")]
    assert "fallback_price" in flagged["items"][0]["flags"]
    detail = (await c.get(f"{url}/{world.kari}")).json()
    assert detail["cost_minor"] == 5000 and detail["person"] == "Kari Nordmann"
    assert [line["kind"] for line in detail["price"]["lines"]] == ["energy", "start_fee"]
    assert detail["corrections"][0]["old_total_minor"] == 4000
