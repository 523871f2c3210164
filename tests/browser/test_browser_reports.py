"""The reports page in a browser: an admin opens a month, sees charts drawn beside their tables, switches
period and site, downloads the XLSX, and the energy matches the sessions page; it fits a phone."""

from __future__ import annotations

import io
import re
import uuid
from datetime import UTC, datetime

from openpyxl import load_workbook
from playwright.async_api import Browser, expect
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.members.groups import create_group
from ladeportal.members.models import Role
from ladeportal.platform.audit import Actor
from ladeportal.reports.aggregates import refresh
from tests.browser.conftest import DESKTOP, PHONE, new_page, shoot, sign_in
from tests.factories import make_member, make_org, make_site, mobile_number
from tests.portal.ocpp_rows import charger
from tests.reports.world import add_session


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def kwh(text: str) -> float:
    return float(re.sub(r"[^\d,]", "", text).replace(",", "."))


async def test_reports_page(server: str, browser: Browser, session: AsyncSession) -> None:
    org = await make_org(session, legal_name="Solsiden Borettslag")
    north = await make_site(session, org, name="Garasje Nord")
    south = await make_site(session, org, name="Garasje Sør")
    cps = [
        await charger(session, s, f"R-{uuid.uuid4().hex[:8]}", seen=None, name=n)
        for s, n in ((north, "Plass 1"), (south, "Plass 2"))
    ]
    residents = await create_group(session, Actor(label="test"), org.id, "Beboere")
    people = [await make_member(session, org, name=n, group_id=residents.id) for n in ("Kari Nordmann", "Ola Hansen")]
    for day in range(1, 29):
        for i, (site, cp) in enumerate(((north, cps[0]), (south, cps[1]))):
            start = at(2026, 11, day, 16 + i)
            await add_session(
                session,
                site,
                cp,
                start,
                start.replace(hour=18 + i),
                8_000 + 1_000 * i,
                net=2_000 + 100 * day,
                vat=500 + 25 * day,
                membership_id=people[i].id,
                group_id=residents.id,
                commit=False,
            )
            await add_session(
                session,
                site,
                cp,
                at(2026, 10, day, 17),
                at(2026, 10, day, 19),
                6_000,
                net=1_500,
                vat=375,
                membership_id=people[i].id,
                commit=False,
            )
    await session.commit()
    await refresh(session)
    phone = mobile_number()
    await make_member(session, org, phone, role=Role.org_admin, name="Styreleder")

    page = await new_page(browser, DESKTOP)
    await sign_in(page, server, session, phone)
    await page.get_by_role("link", name="Rapporter").first.click()
    await page.goto(f"{server}/portal/o/{org.id}/reports?period=month&date=2026-11-15")
    await expect(page.get_by_test_id("total-energy")).to_have_text(re.compile(r"476,0\s*kWh"))
    await expect(page.get_by_test_id("change").first).to_contain_text("+42 %")
    # Chart.js drew the charts (a canvas with pixels), and each has its table.
    await expect(page.locator("#chart-series")).to_be_visible()
    assert await page.evaluate("window.Chart !== undefined && Object.keys(Chart.instances).length === 3")
    await expect(page.get_by_test_id("table-series")).to_contain_text("15.11")
    await expect(page.get_by_test_id("table-sites")).to_contain_text("Garasje Sør")
    await shoot(page, "reports.png", full_page=True)

    # Switch to the year and to one site.
    await page.get_by_label("Periode", exact=True).select_option("year")
    await page.get_by_test_id("report-site").select_option(label="Garasje Nord")
    await page.get_by_test_id("report-show").click()
    await expect(page.get_by_test_id("report-period")).to_contain_text("2026")
    await expect(page.get_by_test_id("total-energy")).to_have_text(re.compile(r"392,0\s*kWh"))  # 28 x (8 + 6)

    # The XLSX of the month, and the same energy on the sessions page.
    await page.goto(f"{server}/portal/o/{org.id}/reports?period=month&date=2026-11-15&site={north.id}")
    await page.get_by_test_id("report-export").click()
    async with page.expect_download() as download_info:
        await page.get_by_test_id("export-xlsx").click()
    download = await download_info.value
    book = load_workbook(io.BytesIO((await download.path()).read_bytes()))
    sites = list(book["Anlegg"].iter_rows(values_only=True))
    assert sites[1][:3] == ("Garasje Nord", 28, 224.0)
    await page.goto(f"{server}/portal/o/{org.id}/sessions?site={north.id}&since=2026-11-01&until=2026-11-30")
    energies = await page.get_by_test_id("session-energy").all_inner_texts()
    assert len(energies) == 28 and sum(map(kwh, energies)) == 224.0

    phone_page = await new_page(browser, PHONE)
    await sign_in(phone_page, server, session, phone)
    await phone_page.goto(f"{server}/portal/o/{org.id}/reports?period=month&date=2026-11-15")
    await expect(phone_page.get_by_test_id("total-energy")).to_be_visible()
    assert await phone_page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await shoot(phone_page, "reports-phone.png", full_page=True)
