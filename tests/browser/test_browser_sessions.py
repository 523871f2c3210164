"""The sessions page on a phone: the table scrolls inside its card (the page itself does not), the
remarks filter narrows the list, and a row opens the session with its stored price."""

from __future__ import annotations

from playwright.async_api import Browser, expect
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.members.models import Role
from tests.browser.conftest import PHONE, new_page, shoot, sign_in
from tests.factories import make_member, mobile_number
from tests.sessions.world import build_world


async def test_sessions_page_on_a_phone(server: str, browser: Browser, session: AsyncSession) -> None:
    world = await build_world(session)
    phone = mobile_number()
    await make_member(session, world.org, phone, role=Role.finance, name="Økonomi")
    page = await new_page(browser, PHONE)
    await sign_in(page, server, session, phone)
    await page.goto(f"{server}/portal/o/{world.org.id}/sessions")
    await expect(page.get_by_text("5 ladeøkter")).to_be_visible()
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await shoot(page, "sessions-phone.png", full_page=True)

    await page.get_by_label("Bare økter med merknader").check()
    await page.get_by_role("button", name="Filtrer", exact=True).click()
    await expect(page.get_by_text("2 ladeøkter")).to_be_visible()
    await expect(page.get_by_text("Priset med reserveprisen (spotpris mangler)")).to_be_visible()

    await page.goto(f"{server}/portal/o/{world.org.id}/sessions/{world.kari}")
    await expect(page.get_by_role("heading", name="Priskorrigeringer")).to_be_visible()
    await expect(page.get_by_text("Startavgift")).to_be_visible()
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
