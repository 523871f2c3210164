"""A group's page: what the group pays at each site in plain words, setting its plan there, removing
it after a confirmation that says what is paid afterwards (the same answer the session pricing
gives), finance reading only, another organisation's ids 404 and posts without the CSRF token 403."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.members.groups import create_group
from ladeportal.orgs.models import Organization
from ladeportal.pricing import assignments, services
from ladeportal.pricing.models import GroupPricePlan, PricePlan, PublicPricePlan
from tests.factories import ACTOR, make_site
from tests.portal.conftest import TwoOrgs, csrf_of, form_post

JAN = datetime(2026, 1, 1, tzinfo=UTC)
STANDARD: dict[str, Any] = {"energy": {"type": "fixed", "price_per_kwh": "2.50"}}
FREE: dict[str, Any] = {"energy": {"type": "fixed", "price_per_kwh": "0"}}


def _text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def _afterwards(page: str) -> list[str]:
    return [_text(m).strip() for m in re.findall(r'data-testid="afterwards">(.*?)</p>', page, re.S)]


async def _plan(session: AsyncSession, org: Organization, name: str, definition: dict[str, Any]) -> PricePlan:
    return await services.create_plan(session, ACTOR, org.id, name, definition, effective_from=JAN)


async def _assigned(session: AsyncSession) -> set[tuple[str, object]]:
    await session.commit()  # ends the read transaction so the query sees the app's commits
    return {
        (scope.split(":")[1], plan_id)
        for scope, plan_id in (await session.execute(select(GroupPricePlan.scope, GroupPricePlan.plan_id))).all()
    }


async def test_set_a_groups_plan_on_its_page_and_read_it_in_plain_words(
    two_orgs: TwoOrgs, session: AsyncSession
) -> None:
    org, c = two_orgs.org_a, two_orgs.admin_a.client
    site = await make_site(session, org, name="Garasje Nord")
    group = await create_group(session, ACTOR, org.id, "Beboere")
    standard, free = await _plan(session, org, "Standard", STANDARD), await _plan(session, org, "Gratis", FREE)
    url = f"/portal/o/{org.id}/groups/{group.id}"
    assert f'href="{url}"' in (await c.get(f"/portal/o/{org.id}/groups")).text  # the list links to the page
    page = (await c.get(url)).text
    assert "Hva gruppen betaler" in page and "Ingen plan" in page

    response = await form_post(c, url, f"{url}/price", {"site_id": "", "plan_id": str(standard.id)})
    assert response.status_code == 303 and response.headers["location"] == url
    assert await _assigned(session) == {("all", standard.id)}
    response = await form_post(c, url, f"{url}/price", {"site_id": str(site.id), "plan_id": str(free.id)})
    assert response.status_code == 303
    assert await _assigned(session) == {("all", standard.id), (str(site.id), free.id)}

    rows = re.findall(r'data-testid="group-price" data-site="([^"]+)">(.*?)</tr>', (await c.get(url)).text, re.S)
    described = {where: _text(body) for where, body in rows}
    assert "«Standard»" in described["all"] and "kr 2,50 per kWh inkl. mva" in described["all"]
    assert "«Gratis»" in described[str(site.id)] and "Gratis lading" in described[str(site.id)]

    response = await form_post(c, url, f"{url}/price", {"site_id": "", "plan_id": ""})
    assert response.status_code == 422 and 'id="e-plan_id">Velg en plan.<' in response.text


async def test_removing_asks_first_and_says_what_the_group_pays_afterwards(
    two_orgs: TwoOrgs, session: AsyncSession
) -> None:
    org, c = two_orgs.org_a, two_orgs.admin_a.client
    site = await make_site(session, org, name="Garasje Nord")
    group = await create_group(session, ACTOR, org.id, "Beboere")
    standard, free = await _plan(session, org, "Standard", STANDARD), await _plan(session, org, "Gratis", FREE)
    await assignments.assign_group_plan(session, ACTOR, org.id, group.id, standard.id)
    await assignments.assign_group_plan(session, ACTOR, org.id, group.id, free.id, site_id=site.id)
    url = f"/portal/o/{org.id}/groups/{group.id}"

    confirm = await c.get(f"{url}/price/remove?site_id={site.id}")
    assert confirm.status_code == 200
    assert _afterwards(confirm.text) == [
        "Etterpå betaler Beboere etter «Standard» på Garasje Nord: kr 2,50 per kWh inkl. mva."
    ]
    assert await _assigned(session) == {("all", standard.id), (str(site.id), free.id)}  # asking changes nothing
    response = await c.post(f"{url}/price/remove", data={"site_id": str(site.id), "csrf_token": csrf_of(confirm.text)})
    assert response.status_code == 303 and await _assigned(session) == {("all", standard.id)}
    # What the page promised is what prices a session there now.
    resolved = await assignments.resolve_plan_version(
        session, org.id, group_id=group.id, site_id=site.id, started_at=datetime.now(UTC)
    )
    assert resolved is not None and resolved.plan.id == standard.id

    confirm = await c.get(f"{url}/price/remove?site_id=")
    assert _afterwards(confirm.text) == [
        "Etterpå har Beboere ingen pris på Garasje Nord: ladinger blir ikke priset og merkes for gjennomgang."
    ]
    await c.post(f"{url}/price/remove", data={"site_id": "", "csrf_token": csrf_of(confirm.text)})
    assert await _assigned(session) == set()
    assert (
        await assignments.resolve_plan_version(
            session, org.id, group_id=group.id, site_id=site.id, started_at=datetime.now(UTC)
        )
        is None
    )
    # Nothing left to remove (another tab): back to the group's page with a warning, not an error.
    response = await c.get(f"{url}/price/remove?site_id=")
    assert response.status_code == 303 and response.headers["location"] == url


async def test_the_prices_page_asks_before_removing_and_names_the_fallback(
    two_orgs: TwoOrgs, session: AsyncSession
) -> None:
    org, c = two_orgs.org_a, two_orgs.admin_a.client
    site = await make_site(session, org, name="Garasje Nord")
    group = await create_group(session, ACTOR, org.id, "Beboere")
    standard, free = await _plan(session, org, "Standard", STANDARD), await _plan(session, org, "Gratis", FREE)
    await assignments.assign_group_plan(session, ACTOR, org.id, group.id, standard.id)
    await assignments.assign_group_plan(session, ACTOR, org.id, group.id, free.id, site_id=site.id)
    await assignments.assign_public_plan(session, ACTOR, org.id, free.id)
    base = f"/portal/o/{org.id}/prices/assignments"
    page = (await c.get(base)).text
    assert f"{base}/groups/remove?group_id={group.id}&amp;site_id={site.id}" in page
    assert f'action="{base}/groups/remove"' not in page  # no removal in one click

    confirm = await c.get(f"{base}/groups/remove", params={"group_id": str(group.id), "site_id": str(site.id)})
    assert _afterwards(confirm.text) == [
        "Etterpå betaler Beboere etter «Standard» på Garasje Nord: kr 2,50 per kWh inkl. mva."
    ]
    assert f'action="{base}/groups/remove"' in confirm.text
    confirm = await c.get(f"{base}/public/remove", params={"site_id": ""})
    assert _afterwards(confirm.text) == [
        "Etterpå har gjester ingen pris på Garasje Nord: ladingene deres blir ikke priset og merkes for gjennomgang."
    ]
    response = await c.post(f"{base}/public/remove", data={"site_id": "", "csrf_token": csrf_of(confirm.text)})
    assert response.status_code == 303
    await session.commit()
    assert await session.scalar(select(PublicPricePlan.id)) is None


async def _setup(session: AsyncSession, org: Organization) -> dict[str, str]:
    site = await make_site(session, org)
    group = await create_group(session, ACTOR, org.id, "Beboere")
    plan = await _plan(session, org, "Standard", STANDARD)
    await assignments.assign_group_plan(session, ACTOR, org.id, group.id, plan.id)
    await assignments.assign_group_plan(session, ACTOR, org.id, group.id, plan.id, site_id=site.id)
    return {"org": str(org.id), "group": str(group.id), "site": str(site.id), "plan": str(plan.id)}


def _posts(org: str, group: str, site: str, plan: str) -> list[tuple[str, dict[str, str]]]:
    url = f"/portal/o/{org}/groups/{group}"
    return [
        (f"{url}/price", {"site_id": "", "plan_id": plan}),
        (f"{url}/price", {"site_id": site, "plan_id": plan}),
        (f"{url}/price/remove", {"site_id": ""}),
        (f"{url}/price/remove", {"site_id": site}),
    ]


def _gets(org: str, group: str, site: str) -> list[str]:
    base = f"/portal/o/{org}"
    return [
        f"{base}/groups/{group}",
        f"{base}/groups/{group}/price/remove?site_id={site}",
        f"{base}/prices/assignments/groups/remove?group_id={group}&site_id=",
        f"{base}/prices/assignments/public/remove?site_id={site}",
    ]


async def test_another_organisations_group_site_or_plan_is_404_and_changes_nothing(
    two_orgs: TwoOrgs, session: AsyncSession
) -> None:
    a, b = await _setup(session, two_orgs.org_a), await _setup(session, two_orgs.org_b)
    before = await _assigned(session)
    c = two_orgs.admin_a.client
    csrf = csrf_of((await c.get(f"/portal/o/{a['org']}/groups")).text)
    for org in (a["org"], b["org"]):  # B's ids under B's organisation and under one's own
        for url in _gets(org, b["group"], b["site"]):
            assert (await c.get(url)).status_code == 404, url
        for url, data in _posts(org, b["group"], b["site"], b["plan"]):
            assert (await c.post(url, data={**data, "csrf_token": csrf})).status_code == 404, (url, data)
    # Own group with the other organisation's site or plan.
    own = f"/portal/o/{a['org']}/groups/{a['group']}"
    for url, data in (
        (f"{own}/price", {"site_id": b["site"], "plan_id": a["plan"]}),
        (f"{own}/price", {"site_id": "", "plan_id": b["plan"]}),
        (f"{own}/price/remove", {"site_id": b["site"]}),
    ):
        assert (await c.post(url, data={**data, "csrf_token": csrf})).status_code == 404, (url, data)
    assert (await c.get(f"{own}/price/remove?site_id={b['site']}")).status_code == 404
    assert await _assigned(session) == before


async def test_finance_reads_the_groups_price_and_cannot_change_it(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    a = await _setup(session, two_orgs.org_a)
    finance = two_orgs.finance_a.client
    page = await finance.get(f"/portal/o/{a['org']}/groups/{a['group']}")
    assert page.status_code == 200 and "«Standard»" in page.text and "kr 2,50 per kWh" in page.text
    group_url = f"/portal/o/{a['org']}/groups/{a['group']}"
    assert f"{group_url}/price" not in page.text and f"{group_url}/edit" not in page.text
    assert "Lagre plan" not in page.text
    before = await _assigned(session)
    for url in _gets(a["org"], a["group"], a["site"])[1:]:
        assert (await finance.get(url)).status_code == 404, url
    csrf = csrf_of(page.text)
    for url, data in _posts(a["org"], a["group"], a["site"], a["plan"]):
        assert (await finance.post(url, data={**data, "csrf_token": csrf})).status_code == 404, url
    assert await _assigned(session) == before


async def test_a_post_without_csrf_token_is_refused(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    a = await _setup(session, two_orgs.org_a)
    before = await _assigned(session)
    for url, data in _posts(a["org"], a["group"], a["site"], a["plan"]):
        assert (await two_orgs.admin_a.client.post(url, data=data)).status_code == 403, url
    assert await _assigned(session) == before
