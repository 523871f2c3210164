"""The reports page, its exports and the JSON API: staff see their organisation's figures in Norwegian,
bad filter input is a clear 422 that changes nothing, a plain member and an outsider get 404, and an
outsider's ids show nothing of ours."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, date, datetime

import pytest
from fastapi import FastAPI
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.members.models import Role
from ladeportal.reports.aggregates import refresh
from ladeportal.reports.models import ReportDaily
from tests.factories import make_member, make_org, make_site, mobile_number
from tests.portal.conftest import TwoOrgs, new_client, sign_in
from tests.portal.ocpp_rows import charger
from tests.reports.world import add_session


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
async def data(two_orgs: TwoOrgs, session: AsyncSession) -> dict[str, uuid.UUID]:
    site = await make_site(session, two_orgs.org_a, name="Garasje Nord")
    cp = await charger(session, site, f"R-{uuid.uuid4().hex[:8]}", seen=None, name="Plass 7")
    kari = await make_member(session, two_orgs.org_a, name="Kari Nordmann")
    await add_session(
        session, site, cp, at(2026, 3, 2, 17), at(2026, 3, 2, 19), 12_345, net=4_000, vat=1_000, membership_id=kari.id
    )
    await add_session(
        session, site, cp, at(2026, 2, 2, 17), at(2026, 2, 2, 19), 10_000, net=3_000, vat=750, membership_id=kari.id
    )
    other_site = await make_site(session, two_orgs.org_b, name="Betas garasje")
    other_cp = await charger(session, other_site, f"R-{uuid.uuid4().hex[:8]}", seen=None, name="Beta 1")
    await add_session(session, other_site, other_cp, at(2026, 3, 5, 8), at(2026, 3, 5, 9), 7_000, net=100)
    await refresh(session)
    return {"site": site.id, "cp": cp, "member": kari.id, "other_site": other_site.id}


async def test_staff_see_the_month_with_comparison_charts_and_tables(
    two_orgs: TwoOrgs, data: dict[str, uuid.UUID]
) -> None:
    base = f"/portal/o/{two_orgs.org_a.id}/reports"
    for person in (two_orgs.admin_a, two_orgs.finance_a):
        page = await person.client.get(base, params={"period": "month", "date": "2026-03-15"})
        assert page.status_code == 200
        assert f'href="{base}"' in page.text  # in the menu as "Rapporter"
    html = page.text
    assert "Rapporter" in html and "12,3 kWh" in html and "kr 50,00" in html
    assert "Garasje Nord" in html and "Plass 7" in html and "Kari Nordmann" in html
    assert "+23 %" in html  # 12.345 kWh against 10 kWh in February
    assert "Betas garasje" not in html and "Beta 1" not in html
    assert 'type="application/json" id="report-data"' in html
    assert "/static/vendor/chartjs/chart.umd.min.js" in html and "/static/portal/reports.js" in html
    assert "<script>" not in html  # no inline script: the CSP stays strict
    for english in ("Energy", "Revenue", "Sessions", "Top users", "By site", "Electricity"):
        assert f">{english}" not in html, english
    dst = await two_orgs.admin_a.client.get(base, params={"period": "day", "date": "2026-03-29"})
    assert "29.03.2026 hadde 23 timer" in dst.text or "hadde 23 timer" in dst.text
    empty = await two_orgs.admin_a.client.get(base, params={"period": "year", "date": "2020-01-01"})
    assert empty.status_code == 200 and 'data-testid="report-empty"' in empty.text
    # The chart library is served, and only the reports page loads it.
    dashboard = await two_orgs.admin_a.client.get(f"/portal/o/{two_orgs.org_a.id}/")
    assert "chartjs" not in dashboard.text


async def test_the_page_in_norwegian_has_no_english(two_orgs: TwoOrgs, data: dict[str, uuid.UUID]) -> None:
    from tests.portal.test_portal_norwegian_walk import untranslated_english, visible_texts

    english = untranslated_english()
    base = f"/portal/o/{two_orgs.org_a.id}/reports"
    for query in (
        {"period": "month", "date": "2026-03-15"},
        {"period": "day", "date": "2026-03-29"},
        {"period": "year", "date": "2026-03-01", "site": str(data["site"])},
        {"period": "year", "date": "2020-01-01"},
        {"period": "range", "since": "2026-03-10", "until": "2026-03-01"},
        {"period": "quarter", "date": "2026-03-01", "charger": str(data["cp"])},
    ):
        page = await two_orgs.admin_a.client.get(base, params=query)
        if "charger" in query:
            assert "Gjelder hele anlegget, uansett de andre filtrene." in page.text
        found = {text for text in visible_texts(page.text) if english.find(text) is not None}
        # "Time" is the Norwegian for "Hour" (the load profile's column), and also an English msgid.
        assert found - {"Time"} == set(), (query, found)


async def test_exports_and_the_api(two_orgs: TwoOrgs, data: dict[str, uuid.UUID]) -> None:
    c, org = two_orgs.admin_a.client, two_orgs.org_a.id
    query = {"period": "month", "date": "2026-03-01"}
    xlsx = await c.get(f"/portal/o/{org}/reports/export.xlsx", params=query)
    assert xlsx.status_code == 200 and xlsx.headers["content-disposition"].endswith(
        'rapport-2026-03-01-2026-03-31.xlsx"'
    )
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == ["Periode", "Anlegg", "Lader", "Gruppe", "Person", "Prisplan", "Strøm", "Fakturert"]
    people = list(book["Person"].iter_rows(values_only=True))
    assert people[1][:3] == ("Kari Nordmann", 1, 12.345)
    csv_page = await c.get(f"/portal/o/{org}/reports/export.csv", params={**query, "table": "site"})
    rows = list(csv.reader(io.StringIO(csv_page.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Anlegg" and rows[1][:3] == ["Garasje Nord", "1", "12,345"]
    assert (await c.get(f"/portal/o/{org}/reports/export.pdf", params=query)).status_code == 404
    assert (await c.get(f"/portal/o/{org}/reports/export.csv", params={"table": "secrets"})).status_code == 404

    api = await c.get(f"/api/v1/orgs/{org}/reports", params={**query, "site": str(data["site"])})
    assert api.status_code == 200, api.text
    body = api.json()
    assert body["totals"]["energy_wh"] == 12_345 and body["previous_totals"]["energy_wh"] == 10_000
    assert body["totals"]["revenue"] == [
        {"currency": "NOK", "gross_minor": 5_000, "net_minor": 4_000, "vat_minor": 1_000}
    ]
    assert body["by_member"][0]["name"] == "Kari Nordmann" and len(body["series"]) == 31
    assert body["period"] == {"kind": "month", "start": "2026-03-01", "end": "2026-03-31", "bucket": "day"}
    api_csv = await c.get(f"/api/v1/orgs/{org}/reports/export.csv", params=query)
    assert api_csv.status_code == 200 and api_csv.content.decode("utf-8-sig").startswith("Fra;Økter;Energi (kWh)")


@pytest.mark.parametrize(
    "query",
    [
        {"period": "fortnight"},
        {"period": "month", "date": "31.03.2026"},
        {"period": "range", "since": "2026-03-10", "until": "2026-03-01"},
        {"period": "range"},
        {"site": "not-an-id"},
        {"group": str(uuid.uuid4())},
    ],
)
async def test_bad_filter_input_is_a_clear_422_and_changes_nothing(
    two_orgs: TwoOrgs, data: dict[str, uuid.UUID], session: AsyncSession, query: dict[str, str]
) -> None:
    c, org = two_orgs.admin_a.client, two_orgs.org_a.id
    before = await session.scalar(select(func.count()).select_from(ReportDaily))
    page = await c.get(f"/portal/o/{org}/reports", params=query)
    assert page.status_code == 422 and 'data-testid="filter-error"' in page.text
    assert "report-data" not in page.text
    assert (await c.get(f"/portal/o/{org}/reports/export.xlsx", params=query)).status_code == 422
    assert (await c.get(f"/api/v1/orgs/{org}/reports", params=query)).status_code == 422
    assert await session.scalar(select(func.count()).select_from(ReportDaily)) == before


async def test_outsiders_and_plain_members_get_404(
    app: FastAPI, two_orgs: TwoOrgs, data: dict[str, uuid.UUID], session: AsyncSession
) -> None:
    org = two_orgs.org_a.id
    urls = [
        f"/portal/o/{org}/reports",
        f"/portal/o/{org}/reports/export.xlsx",
        f"/portal/o/{org}/reports/export.csv",
        f"/api/v1/orgs/{org}/reports",
        f"/api/v1/orgs/{org}/reports/export.xlsx",
    ]
    outsider = two_orgs.admin_b.client
    for url in urls:
        assert (await outsider.get(url)).status_code == 404, url
    phone = mobile_number()
    # A resident of A (plain member there) who signs in as the admin of their own garage.
    await make_member(session, two_orgs.org_a, phone, role=Role.member)
    await make_member(session, await make_org(session, legal_name="Egen Garasje AS"), phone, role=Role.org_admin)
    member = new_client(app)
    try:
        assert (await sign_in(member, session, phone)).status_code == 303
        for url in urls:
            assert (await member.get(url)).status_code == 404, url
    finally:
        await member.aclose()
    # The outsider's own report with our ids: refused like ids that do not exist, nothing of ours shown.
    own = f"/portal/o/{two_orgs.org_b.id}/reports"
    for key in ("site", "charger", "member"):
        value = {"site": data["site"], "charger": data["cp"], "member": data["member"]}[key]
        api = await outsider.get(f"/api/v1/orgs/{two_orgs.org_b.id}/reports", params={key: str(value)})
        assert api.status_code == 422, key
    page = await outsider.get(own, params={"site": str(data["site"])})
    assert page.status_code == 422 and "Garasje Nord" not in page.text
    theirs = (await outsider.get(f"/api/v1/orgs/{two_orgs.org_b.id}/reports", params={"date": "2026-03-01"})).json()
    assert theirs["totals"]["energy_wh"] == 7_000 and [s["name"] for s in theirs["by_site"]] == ["Betas garasje"]
    assert date(2026, 3, 1).isoformat() == theirs["period"]["start"]
