"""The portal on a phone (390x844) and for keyboard users, in a real browser, on the demo cooperative
(real names, tags, prices and chargers, so the tables are as wide as they get):

- no main page scrolls sideways and its title is shown whole, whatever the action buttons;
- every status badge colour the portal can draw reads at WCAG AA contrast (4.5:1), measured on the
  colours the browser actually paints;
- links, buttons and form fields show a clear outline when reached with the keyboard."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, ViewportSize, expect
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.engine import Database
from ladeportal.demo import ADMIN_PHONE, OPERATOR_PHONE, load_demo
from ladeportal.web.portal.templating import STATE_COLOURS, TEMPLATES_DIR
from tests.browser.conftest import DESKTOP, PHONE, new_page, shoot, sign_in
from tests.factories import mobile_number, valid_no_org_number
from tests.portal.conftest import last_code
from tests.terms.support import accept_demo_terms

pytestmark = pytest.mark.browser

MAIN_PAGES = (
    "/",
    "/sites",
    "/chargers",
    "/users",
    "/groups",
    "/rfid",
    "/prices",
    "/sessions",
    "/payments",
    "/invoicing",
    "/settings",
)
# Every colour Tabler offers a light ("-lt") badge in: a page may pick any of them.
PALETTE = (
    "blue",
    "azure",
    "indigo",
    "purple",
    "pink",
    "red",
    "orange",
    "yellow",
    "lime",
    "green",
    "teal",
    "cyan",
    "secondary",
    "primary",
    "success",
    "info",
    "warning",
    "danger",
)
AA_TEXT = 4.5

# The sizes of the page and of its title as the browser laid them out.
MEASURE = """() => {
  const title = document.querySelector('h1.page-title');
  const box = title.getBoundingClientRect();
  return {page: document.documentElement.scrollWidth, viewport: innerWidth, left: box.left, right: box.right,
          text: title.scrollWidth, shown: title.clientWidth};
}"""

# Paints a badge of each class on a card of the page and reads back, through a canvas, the sRGB colours
# of its text and of what is behind it (every ancestor's background over white, in order).
PAINT_BADGES = """(classes) => {
  const card = document.createElement('div');
  card.className = 'card';
  card.innerHTML = '<div class="card-body"></div>';
  document.querySelector('.page-body .container-xl').appendChild(card);
  const ctx = document.createElement('canvas').getContext('2d', {willReadFrequently: true});
  const paint = (layers) => {
    ctx.clearRect(0, 0, 1, 1);
    for (const colour of layers) {
      ctx.fillStyle = '#010203';
      ctx.fillStyle = colour;
      if (ctx.fillStyle === '#010203' && colour !== '#010203') throw new Error('unreadable colour ' + colour);
      ctx.fillRect(0, 0, 1, 1);
    }
    return Array.from(ctx.getImageData(0, 0, 1, 1).data.slice(0, 3));
  };
  return classes.map((cls) => {
    const badge = document.createElement('span');
    badge.className = 'badge ' + cls;
    badge.textContent = 'Ledig';
    card.firstChild.appendChild(badge);
    const behind = ['#ffffff'];
    const chain = [];
    for (let el = badge; el; el = el.parentElement) chain.unshift(getComputedStyle(el).backgroundColor);
    behind.push(...chain);
    return {cls, text: paint([...behind, getComputedStyle(badge).color]), back: paint(behind)};
  });
}"""


def contrast(a: list[int], b: list[int]) -> float:
    def luminance(rgb: list[int]) -> float:
        linear = [c / 255 / 12.92 if c / 255 <= 0.04045 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lighter, darker = sorted((luminance(a), luminance(b)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def badge_colours_in_templates() -> set[str]:
    found: set[str] = set()
    for template in Path(TEMPLATES_DIR).rglob("*.html"):
        found |= set(re.findall(r"\bbg-([a-z]+)-lt\b", template.read_text(encoding="utf-8")))
    return found


async def _demo_admin(
    server: str, browser: Browser, session: AsyncSession, db: Database, tmp_path: Path, viewport: ViewportSize
) -> tuple[Page, str]:
    await load_demo(db, str(tmp_path / "chargers.json"))
    await accept_demo_terms(session)  # the demo's new terms come first (test_browser_terms.py shows that)
    page = await new_page(browser, viewport)
    await sign_in(page, server, session, ADMIN_PHONE)
    found = re.search(r"/portal/o/[0-9a-f-]+", page.url)
    assert found, page.url
    return page, server + found.group(0)


async def test_every_main_page_fits_a_phone_with_its_title_whole(
    server: str, browser: Browser, session: AsyncSession, db: Database, tmp_path: Path
) -> None:
    page, base = await _demo_admin(server, browser, session, db, tmp_path, PHONE)
    for path in MAIN_PAGES:
        await page.goto(base + path)
        title = page.locator("h1.page-title")
        await expect(title).to_be_visible()
        for failure in ("Noe gikk galt hos oss", "Vi finner ikke den siden"):
            await expect(page.get_by_text(failure)).to_have_count(0)
        size = await page.evaluate(MEASURE)
        assert size["page"] <= size["viewport"], f"{path} scrolls sideways: {size}"
        assert size["left"] >= 0 and size["right"] <= size["viewport"], f"{path}: title outside the screen: {size}"
        assert size["shown"] > 0 and size["text"] <= size["shown"], f"{path}: title clipped: {size}"
        if path == "/users":
            await shoot(page, "users-phone.png", full_page=True)


async def _assert_fits(page: Page, what: str) -> None:
    await expect(page.locator("h1.page-title")).to_be_visible()
    size = await page.evaluate(MEASURE)
    assert size["page"] <= size["viewport"], f"{what} scrolls sideways: {size}"
    assert size["shown"] > 0 and size["text"] <= size["shown"], f"{what}: title clipped: {size}"


async def test_staff_create_an_organisation_on_a_phone(
    server: str, browser: Browser, session: AsyncSession, db: Database, tmp_path: Path
) -> None:
    await load_demo(db, str(tmp_path / "chargers.json"))
    page = await new_page(browser, PHONE)
    await page.goto(f"{server}/portal/")
    await page.get_by_label("Mobilnummer").fill(OPERATOR_PHONE[3:])
    await page.get_by_role("button", name="Send kode").click()
    await expect(page.get_by_label("Kode")).to_be_visible()
    code = await last_code(session, OPERATOR_PHONE)
    assert code is not None
    await page.get_by_label("Kode").fill(code)
    await page.get_by_role("button", name="Logg inn").click()
    await page.goto(f"{server}/portal/operator/")
    await _assert_fits(page, "the organisation list")
    await page.get_by_role("link", name="Ny organisasjon").first.click()
    await _assert_fits(page, "the new organisation form")
    await page.get_by_label("Juridisk navn").fill("Fjordgløtt Borettslag")
    await page.get_by_label("Organisasjonsnummer").fill("123")
    await page.get_by_label("Navn", exact=True).fill("Kari Styreleder")
    await page.get_by_label("Mobilnummer").fill(mobile_number()[3:])
    await page.get_by_role("button", name="Opprett organisasjon").click()
    await expect(page.locator("#e-org_number")).to_contain_text("et norsk har 9 sifre")
    await _assert_fits(page, "the form with an error")
    await page.get_by_label("Organisasjonsnummer").fill(valid_no_org_number())
    await page.get_by_role("button", name="Opprett organisasjon").click()
    await expect(page.get_by_role("heading", name="Fjordgløtt Borettslag")).to_be_visible()
    await expect(page.get_by_test_id("admin-row")).to_contain_text("Kari Styreleder")
    await _assert_fits(page, "the organisation's overview")
    await page.get_by_role("link", name="Alle organisasjoner").click()
    await page.get_by_role("link", name="Solbakken Borettslag").click()
    await expect(page.get_by_test_id("site-row")).to_have_count(2)
    await _assert_fits(page, "the demo organisation's overview")


async def test_status_badges_read_at_aa_contrast(
    server: str, browser: Browser, session: AsyncSession, db: Database, tmp_path: Path
) -> None:
    # The colours the portal's templates and its charger states use are all in the checked palette.
    assert badge_colours_in_templates() | set(STATE_COLOURS.values()) <= set(PALETTE)
    page, base = await _demo_admin(server, browser, session, db, tmp_path, DESKTOP)
    await page.goto(base + "/chargers")
    painted = await page.evaluate(PAINT_BADGES, [f"bg-{colour}-lt" for colour in PALETTE] + [""])
    ratios = {p["cls"] or "badge": round(contrast(p["text"], p["back"]), 2) for p in painted}
    too_faint = {cls: ratio for cls, ratio in ratios.items() if ratio < AA_TEXT}
    assert not too_faint, f"badges under {AA_TEXT}:1: {too_faint} (all: {ratios})"


async def test_links_buttons_and_fields_show_a_keyboard_focus_outline(
    server: str, browser: Browser, session: AsyncSession, db: Database, tmp_path: Path
) -> None:
    page, base = await _demo_admin(server, browser, session, db, tmp_path, DESKTOP)
    await page.goto(base + "/users")
    await expect(page.locator("h1.page-title")).to_have_text("Brukere")
    outlines: dict[str, tuple[str, float]] = {}
    for _ in range(60):
        await page.keyboard.press("Tab")
        kind, style, width = await page.evaluate("""() => {
          const el = document.activeElement, css = getComputedStyle(el);
          const kind = el.matches('input, select, textarea') ? 'field'
                     : el.matches('button, .btn') ? 'button' : el.matches('a') ? 'link' : el.tagName;
          return [kind, css.outlineStyle, parseFloat(css.outlineWidth)];
        }""")
        outlines.setdefault(kind, (style, width))
        if {"link", "button", "field"} <= outlines.keys():
            break
    assert {"link", "button", "field"} <= outlines.keys(), outlines
    for kind in ("link", "button", "field"):
        style, width = outlines[kind]
        assert style == "solid" and width >= 2, f"{kind}: {outlines}"
