"""A resident on a phone (390x844) in a real browser against a simulated charger: log in to the app
with the SMS code, start charging at a connector, watch the cost so far rise as MeterValues arrive
(pushed by Server-Sent Events), stop, and find the session in the history. Then the phone goes
offline: the service worker shows the offline page, not a cached copy of the resident's pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.async_api import Browser, expect
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.members.groups import default_group
from ladeportal.pricing.assignments import assign_group_plan
from ladeportal.pricing.services import create_plan
from ladeportal.simulator import SimulatedCharger
from tests.browser.conftest import PHONE, new_page, shoot
from tests.factories import ACTOR, make_charger, make_member, make_org, make_site, mobile_number
from tests.portal.conftest import last_code

pytestmark = pytest.mark.browser


async def test_a_resident_charges_from_the_app(server: str, browser: Browser, session: AsyncSession) -> None:
    org = await make_org(session, legal_name="Solsiden Borettslag")
    org_id = org.id
    phone = mobile_number()
    await make_member(session, org, phone, name="Ola Nordmann")
    site = await make_site(session, org, name="Garasje Nord")
    new = await make_charger(session, site, "APP-SIM-1", connectors=2)
    password = new.password
    group = await default_group(session, org_id)
    definition = {"prices_include_vat": True, "energy": {"type": "fixed", "price_per_kwh": "2.50"}}
    plan = await create_plan(
        session, ACTOR, org_id, "Beboere", definition, effective_from=datetime.now(UTC) - timedelta(days=1)
    )
    await assign_group_plan(session, ACTOR, org_id, group.id, plan.id)

    offset = timedelta()
    sim = SimulatedCharger(
        server.replace("http://", "ws://") + "/ocpp",
        "APP-SIM-1",
        password,
        connectors=2,
        call_timeout=20,
        reconnect_delay=0.5,
        meter_interval=3600,  # the test sends each MeterValues itself
        clock=lambda: datetime.now(UTC) + offset,
    )
    page = await new_page(browser, PHONE)
    try:
        await sim.connect(within=30)

        await page.goto(f"{server}/app/")
        await expect(page.get_by_role("heading", name="Logg inn")).to_be_visible()
        await page.get_by_label("Mobilnummer").fill(phone[3:])
        await shoot(page, "app-login.png")
        await page.get_by_role("button", name="Send kode").click()
        code = await last_code(session, phone)
        assert code is not None
        await page.get_by_label("Kode fra SMS-en").fill(code)
        await page.get_by_role("button", name="Logg inn").click()

        await expect(page.get_by_role("heading", name="Mine ladeplasser")).to_be_visible()
        await expect(page.get_by_text("Garasje Nord")).to_be_visible()
        await expect(page.get_by_text("2,50", exact=False).first).to_be_visible()
        await shoot(page, "app-places.png", full_page=True)
        await page.get_by_role("link", name="Start").first.click()
        await expect(page.get_by_role("heading", name="Start lading")).to_be_visible()
        await shoot(page, "app-start.png")
        await page.get_by_role("button", name="Start").click()

        # The charger accepts, the simulated car starts charging, and the page becomes the live session.
        await expect(page).to_have_url(re.compile(r"/app/sessions/\d+$"), timeout=60_000)
        await expect(page.get_by_role("heading", name="Lading pågår")).to_be_visible()
        live = page.locator("[data-live]")
        await sim.meter_tick(1)
        first = await live.get_attribute("data-cost-minor")
        offset += timedelta(minutes=30)
        await sim.meter_tick(1)
        # Pushed by the server: the cost grows without a reload.
        await expect(live).not_to_have_attribute("data-cost-minor", first or "")
        risen = await live.get_attribute("data-cost-minor")
        assert risen and int(risen) > int(first or 0)
        await expect(page.locator("[data-field=cost]")).to_contain_text("kr")
        await shoot(page, "app-live.png")

        await page.get_by_role("button", name="Stopp ladingen").click()
        await expect(page.get_by_role("heading", name="Økten er avsluttet")).to_be_visible(timeout=60_000)
        await shoot(page, "app-session-ended.png", full_page=True)
        await page.get_by_role("link", name="Historikk").first.click()
        await expect(page.locator(".list li")).to_have_count(1)
        await expect(page.locator(".list li")).to_contain_text("kWh")
        await shoot(page, "app-history.png")

        # Offline: the service worker answers a page request with the offline page, never a cached copy.
        await page.goto(f"{server}/app/")
        await page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        await page.reload()  # now controlled by the worker
        await page.wait_for_function("navigator.serviceWorker.controller !== null")
        await page.context.set_offline(True)
        await page.goto(f"{server}/app/history")
        await expect(page.get_by_role("heading", name="Ingen forbindelse")).to_be_visible()
        assert "Garasje Nord" not in await page.content()
        await shoot(page, "app-offline.png")
        await page.context.set_offline(False)
    finally:
        await page.close()
        await sim.close()
