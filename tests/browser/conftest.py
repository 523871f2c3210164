"""A real uvicorn server on 127.0.0.1 (ephemeral port) in a thread, against the test database, and
headless Chromium from Debian's package driven by Playwright.

Waits are explicit and generous (the machine running the tests may be busy): every check waits for
the expected text to appear, never for a fixed time. Screenshots for docs/screenshots/ are taken only
when LADEPORTAL_SCREENSHOTS=1, so an ordinary test run leaves the working tree alone."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.async_api import Browser, Page, ViewportSize, async_playwright, expect
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.engine import Database
from ladeportal.settings import load_settings
from ladeportal.web import app as web_app
from tests.portal.conftest import last_code

# The Chromium on PATH, as checked (and installed when missing) by `make test` through scripts/require.sh.
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Long enough for a loaded CI machine; a passing check returns as soon as its text is there.
WAIT_MS = 30_000
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}

expect.set_options(timeout=WAIT_MS)


@pytest.fixture
def server(db: Database) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    settings = load_settings(
        database_url=db.url, mode="dev", run_worker_in_process=True, public_url=base, worker_poll_seconds=0.2
    )
    application = web_app.create_app(settings)  # its own engine: the server runs on its own event loop
    config = uvicorn.Config(
        application, host="127.0.0.1", port=port, log_level="warning", lifespan="on", ws="websockets-sansio"
    )  # the OCPP gateway's route, as in `ladeportal serve`
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(uv.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 60  # a limit for a hung start, generous for a busy machine; not a measurement
    while not uv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield base
    uv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        await b.close()


async def new_page(browser: Browser, viewport: ViewportSize = DESKTOP) -> Page:
    page = await browser.new_page(viewport=viewport, locale="nb-NO")
    page.set_default_timeout(WAIT_MS)
    return page


async def shoot(page: Page, name: str, *, full_page: bool = False) -> None:
    if os.environ.get("LADEPORTAL_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=SHOTS / name, full_page=full_page)


async def sign_in(page: Page, server: str, session: AsyncSession, phone: str, *, shot: bool = False) -> None:
    """The real flow: the number, then the code from the SMS the server queued."""
    await page.goto(f"{server}/portal/")
    await page.get_by_label("Mobilnummer").fill(phone[3:])
    if shot:
        await shoot(page, "login.png")
    await page.get_by_role("button", name="Send kode").click()
    await expect(page.get_by_label("Kode")).to_be_visible()
    code = await last_code(session, phone)
    assert code is not None
    await page.get_by_label("Kode").fill(code)
    await page.get_by_role("button", name="Logg inn").click()
    await expect(page.get_by_role("heading", name="Oversikt")).to_be_visible()
