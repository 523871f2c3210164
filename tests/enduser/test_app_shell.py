"""The installable shell: manifest, a service worker that keeps only static files and never private
data, the offline page, the page weight budget and the app's three languages."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

from fastapi import FastAPI

from ladeportal.web.portal.templating import STATIC_DIR
from tests.enduser.conftest import World
from tests.portal.conftest import new_client

BUDGET_BYTES = 150 * 1024
ASSETS = re.compile(r'<(?:link rel="stylesheet" href|script src)="([^"]+)"')


async def test_manifest_makes_the_app_installable(app: FastAPI) -> None:
    async with new_client(app) as c:
        response = await c.get("/app/manifest.webmanifest")
        assert response.headers["content-type"].startswith("application/manifest+json")
        data = response.json()
        assert data["start_url"] == "/app/" and data["scope"] == "/app/" and data["display"] == "standalone"
        assert data["theme_color"] and data["name"]
        sizes = {icon["sizes"] for icon in data["icons"]}
        assert {"192x192", "512x512"} <= sizes
        for icon in data["icons"]:
            fetched = await c.get(icon["src"])
            assert fetched.status_code == 200, icon["src"]
            if icon["type"] == "image/png":
                assert fetched.content[:8] == b"\x89PNG\r\n\x1a\n"


async def test_the_service_worker_caches_only_the_static_shell(app: FastAPI) -> None:
    async with new_client(app) as c:
        response = await c.get("/app/sw.js")
        assert response.status_code == 200 and "javascript" in response.headers["content-type"]
        source = response.text
    # What is stored: exactly the shell list, all of it static files or the offline page.
    shell = re.search(r"const SHELL_FILES = \[(.*?)\];", source, re.S)
    assert shell
    entries = re.findall(r'"([^"]+)"|(OFFLINE_URL)', shell.group(1))
    stored = [literal or "/app/offline" for literal, _ in entries]
    assert stored and all(p.startswith("/static/enduser/") or p == "/app/offline" for p in stored), stored
    assert "__APP_VERSION__" not in source
    # cache.put / cache.add appear only in the install step: nothing fetched later is ever stored.
    assert source.count("cache.addAll(") == 1 and "cache.put(" not in source and "cache.add(" not in source
    # Page navigations go to the network and fall back on the offline page, never on a cached copy.
    assert "fetch(request).catch(() => caches.match(OFFLINE_URL))" in source
    # Anything else outside /static/enduser/ (JSON, the live stream) is not answered by the worker.
    assert "url.pathname.startsWith(SHELL_PREFIX)" in source and 'const SHELL_PREFIX = "/static/enduser/";' in source


async def test_private_pages_say_no_store(world: World) -> None:
    for url in ("/app/", "/app/history", "/app/invoices", "/app/tags", "/app/account"):
        response = await world.me.client.get(url)
        assert response.status_code == 200, url
        assert response.headers["cache-control"] == "no-store", url


async def test_offline_page_holds_nothing_private(app: FastAPI) -> None:
    async with new_client(app) as c:
        response = await c.get("/app/offline")
        assert response.status_code == 200 and 'id="offline"' in response.text
        assert "/app/history" not in response.text  # no signed-in navigation baked into the cached copy


async def test_first_load_stays_under_the_budget(world: World) -> None:
    page = await world.me.client.get("/app/")
    urls = ASSETS.findall(page.text)
    assert any(u.endswith(".css") or ".css?" in u for u in urls) and any(".js" in u for u in urls)
    total = 0
    for url in urls:
        body = (await world.me.client.get(url)).content
        total += len(gzip.compress(body, 9))
    assert total < BUDGET_BYTES, total
    # The figure recorded in docs/performance.md.
    print(f"app first load: {total} bytes of gzip-compressed CSS+JS")


def test_the_static_files_are_small() -> None:
    own = [p for p in (STATIC_DIR / "enduser").rglob("*") if p.suffix in {".css", ".js"}]
    assert own and sum(p.stat().st_size for p in own) < 40 * 1024


async def test_the_app_speaks_swedish_and_the_portal_does_not(app: FastAPI) -> None:
    async with new_client(app) as c:
        c.cookies.set("lp_lang", "sv")
        page = await c.get("/app/login")
        assert "Logga in" in page.text and 'lang="sv"' in page.text
        portal = await c.get("/portal/login")
        assert 'lang="sv"' not in portal.text
    async with new_client(app) as c:
        page = await c.get("/app/login", headers={"accept-language": "sv-SE,sv;q=0.9"})
        assert "Mobilnummer" in page.text and "Skicka kod" in page.text


async def test_norwegian_pages_have_no_english_left(world: World) -> None:
    for url in ("/app/", "/app/history", "/app/invoices", "/app/tags", "/app/account"):
        text = (await world.me.client.get(url)).text
        for english in ("My places", "History</", "Log out", "No invoices yet", "Phones logged in"):
            assert english not in text, (url, english)


def test_the_swedish_catalogue_covers_the_app() -> None:
    from babel.messages.extract import extract_from_file
    from babel.messages.pofile import read_po

    folder = Path(__file__).resolve().parents[2] / "src/ladeportal"
    with (folder / "i18n/locales/sv/LC_MESSAGES/messages.po").open("rb") as fh:
        swedish = read_po(fh)
    missing = []
    for template in (folder / "web/templates/enduser").glob("*.html"):
        for _, message, _, _ in extract_from_file("jinja2", str(template), options={"extensions": "jinja2.ext.i18n"}):
            key = message if isinstance(message, str) else message[0]
            if key not in swedish or not swedish[key].string:
                missing.append(key)
    assert missing == []
