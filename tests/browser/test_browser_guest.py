"""A guest at a public charger on a phone (390x844), against a simulated charger and the Stripe
stand-in: scan (open the sticker's URL), see the price first, confirm the number with the SMS code, pay
the card hold with 4242 on Stripe's page, watch the charger start, stop it from the same phone and see
the captured amount on the receipt. A declined card starts nothing. Screenshots (LADEPORTAL_SCREENSHOTS=1):
docs/screenshots/app-guest-price.png, app-guest-charging.png, app-guest-receipt.png."""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.chargers.history_models import ChargerCommand
from ladeportal.db.engine import Database
from ladeportal.guests import places
from ladeportal.guests.models import ChargeState, GuestCharge, GuestConnectorCode
from ladeportal.jobs.models import OutboxTask
from ladeportal.members.models import Role
from ladeportal.simulator import SimulatedCharger
from ladeportal.stripe_standin.server import StandinServer
from tests.billing.invoicing_fixtures import ready_stripe_account
from tests.browser.conftest import PHONE, new_page, shoot
from tests.browser.stripe_standin_fixtures import standin, standin_port  # noqa: F401  (fixtures)
from tests.factories import ACTOR, make_charger, make_member, make_org, make_site, mobile_number
from tests.guests.conftest import public_plan
from tests.portal.conftest import last_code

pytestmark = pytest.mark.browser


async def _public_charger(db: Database, session: AsyncSession, standin: StandinServer) -> tuple[str, str, str]:  # noqa: F811
    org = await make_org(session, legal_name="Solsiden Borettslag")
    admin = await make_member(session, org, mobile_number(), role=Role.org_admin, name="Styreleder")
    site = await make_site(session, org, name="Gjesteparkering")
    new = await make_charger(session, site, "SIM-GUEST", connectors=1)
    await session.commit()
    await public_plan(session, org, price_per_kwh="4.00", start_fee="10.00")
    await ready_stripe_account(db, session, standin, org.id, admin)
    await places.open_charger(session, ACTOR, org.id, new.charge_point.id)
    code = await session.scalar(
        select(GuestConnectorCode.code).where(GuestConnectorCode.charge_point_id == new.charge_point.id)
    )
    await session.commit()
    assert code is not None
    return code, "SIM-GUEST", new.password


async def _confirm_and_pay(page: Page, server: str, session: AsyncSession, code: str, card: str) -> None:
    await page.goto(f"{server}/app/c/{code}")
    await expect(page.get_by_test_id("price")).to_contain_text("kWh")
    await shoot(page, "app-guest-price.png", full_page=True)
    phone = mobile_number()
    await page.get_by_label("Mobilnummeret ditt").fill(phone[3:])
    await page.get_by_role("button", name="Send meg en kode").click()
    await expect(page.locator("#answer")).to_be_visible()
    sms = await last_code(session, phone)
    assert sms is not None
    await page.locator("#answer").fill(sms)
    await page.get_by_role("button", name="Bekreft").click()
    await page.get_by_role("link", name="Betal og start ladingen").click()
    await page.get_by_label("Email").fill("gjest@example.com")
    await page.get_by_label("Card number").fill(card)
    await page.get_by_label("Expiry (MM/YY)").fill("12/34")
    await page.get_by_label("CVC").fill("123")
    await page.get_by_role("button", name="Pay").click()


async def test_a_guest_scans_pays_charges_stops_and_gets_the_receipt(
    standin: StandinServer,  # noqa: F811
    server: str,
    browser: Browser,
    db: Database,
    session: AsyncSession,
) -> None:
    code, ocpp_id, password = await _public_charger(db, session, standin)
    sim = SimulatedCharger(
        server.replace("http://", "ws://") + "/ocpp",
        ocpp_id,
        password,
        connectors=1,
        call_timeout=20,
        reconnect_delay=0.5,
    )
    try:
        await sim.connect(within=30)
        page = await new_page(browser, PHONE)
        await _confirm_and_pay(page, server, session, code, "4242424242424242")
        await expect(page.locator(".g-state-charging")).to_be_visible()
        await shoot(page, "app-guest-charging.png", full_page=True)
        await page.get_by_role("button", name="Stopp ladingen").click()
        await expect(page.locator(".g-state-done")).to_be_visible()
        captured = await page.get_by_test_id("captured").inner_text()
        assert "10" in captured  # the start fee at least
        await page.get_by_role("link", name="Vis kvitteringen").click()
        await expect(page.get_by_test_id("captured")).to_have_text(captured)
        await shoot(page, "app-guest-receipt.png", full_page=True)
    finally:
        await sim.close()
    row = await session.scalar(select(GuestCharge).order_by(GuestCharge.created_at.desc()).limit(1))
    assert row is not None and row.state == ChargeState.done and (row.captured_minor or 0) >= 10_00


async def test_a_declined_card_starts_nothing(
    standin: StandinServer,  # noqa: F811
    server: str,
    browser: Browser,
    db: Database,
    session: AsyncSession,
) -> None:
    code, _, _ = await _public_charger(db, session, standin)
    page = await new_page(browser, PHONE)
    await _confirm_and_pay(page, server, session, code, "4000000000000002")
    await expect(page.get_by_text("Your card was declined.")).to_be_visible()
    await asyncio.sleep(1)  # a start, if one were (wrongly) queued, would be claimed by now
    starts = (await session.scalars(select(OutboxTask.id).where(OutboxTask.kind == "guests.start"))).all()
    row = await session.scalar(select(GuestCharge).limit(1))
    sent = (await session.scalars(select(ChargerCommand.action))).all()
    await session.commit()
    assert starts == [] and row is not None and row.state == ChargeState.paying
    assert "RemoteStartTransaction" not in sent
