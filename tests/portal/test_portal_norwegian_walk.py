"""Every page an organisation's admin can open, in Norwegian, shows no English text the catalogue
has a Norwegian translation for (or should have): a text that equals an English msgid whose bokmål
msgstr differs or is missing means a string the page forgot to translate.

The pages are listed from the router, so a new page is walked too (or this test says which path id
it cannot fill)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any, ClassVar

import pytest
from babel.messages.pofile import read_po
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.routing import Route

from ladeportal.alerts.kinds import KINDS, SPOT_PRICES_MISSING
from ladeportal.alerts.models import Alert
from ladeportal.db.base import utcnow
from ladeportal.i18n import LOCALES_DIR
from ladeportal.members.models import MembershipState
from ladeportal.members.services import block_member
from ladeportal.platform.audit import Actor
from ladeportal.pricing.assignments import assign_group_plan, assign_public_plan
from ladeportal.pricing.services import create_plan
from tests.billing.invoicing_fixtures import seed_invoicing
from tests.factories import make_member, make_tag
from tests.portal.conftest import TwoOrgs
from tests.sessions.world import World, build_world

ACTOR = Actor(label="test")
ORG_PAGES = "/portal/o/{org_id}"
# Every page module is walked; a module named here would be left out.
NOT_WALKED_MODULES: set[str] = set()
# Each confirmation page once; the member page's actions are block, unblock and remove.
ACTIONS = {"action": ("block", "unblock", "remove")}
# Pages that say what they are about in the query string.
QUERIES = {
    "/price/remove": "site_id={site_id}",
    "/assignments/groups/remove": "group_id={group_id}&site_id={site_id}",
    "/assignments/public/remove": "site_id={site_id}",
}
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]")


class _Text(HTMLParser):
    """The text nodes a reader sees (not scripts, styles or templates), whitespace collapsed."""

    HIDDEN: ClassVar[set[str]] = {"script", "style", "template", "noscript"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hidden = 0
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1
        placeholder = dict(attrs).get("placeholder")
        if placeholder:
            self.texts.append(" ".join(placeholder.split()))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN and self.hidden:
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if text and not self.hidden:
            self.texts.append(text)


def visible_texts(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    return parser.texts


@dataclass(frozen=True)
class Untranslated:
    exact: dict[str, str]  # English msgid -> its bokmål msgstr ("" when missing)
    patterns: list[tuple[re.Pattern[str], str]]  # msgids with values in them, as patterns

    def find(self, text: str) -> str | None:
        if text in self.exact:
            return text
        return next((msgid for pattern, msgid in self.patterns if pattern.fullmatch(text)), None)


def untranslated_english() -> Untranslated:
    with (LOCALES_DIR / "nb" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale="nb")
    exact: dict[str, str] = {}
    patterns: list[tuple[re.Pattern[str], str]] = []
    for message in catalog:
        msgids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for msgid in msgids:
            if not msgid or not any(c.isalpha() for c in msgid):
                continue
            if any(s and s == msgid for s in strings):
                continue  # the same word in both languages (SMS, Status, OCPP)
            text = " ".join(str(msgid).split())
            if not _PLACEHOLDER.search(text):
                exact[text] = str(strings[0] or "")
                continue
            literal = _PLACEHOLDER.sub("", text)
            if sum(c.isalpha() for c in literal) < 4:
                continue  # mostly values: too little English to recognise
            pattern = ".+?".join(re.escape(part) for part in _PLACEHOLDER.sub("\0", text).split("\0"))
            patterns.append((re.compile(pattern), text))
    return Untranslated(exact, patterns)


def test_the_check_recognises_english_and_lets_bokmal_pass() -> None:
    english = untranslated_english()
    assert english.find("Blocked") == "Blocked"
    assert english.find("Sperret") is None
    assert english.find("3 tags") == "%(num)d tags"
    assert english.find("3 brikker") is None
    html = "<p>Sperret <b>Blocked</b></p><script>var x = 'Blocked';</script><input placeholder='Search'>"
    assert visible_texts(html) == ["Sperret", "Blocked", "Search"]


@dataclass
class Seeded:
    ids: dict[str, str]


@pytest.fixture
async def seeded(two_orgs: TwoOrgs, session: AsyncSession) -> Seeded:
    world: World = await build_world(session, org=two_orgs.org_a, other=two_orgs.org_b)
    org = world.org
    plan = await create_plan(
        session,
        ACTOR,
        org.id,
        "Beboerpris",
        {"prices_include_vat": True, "energy": {"type": "fixed", "price_per_kwh": "2.50"}},
        effective_from=utcnow(),
    )
    await assign_group_plan(session, ACTOR, org.id, world.residents, plan.id, site_id=world.site_1.id)
    await assign_public_plan(session, ACTOR, org.id, plan.id, site_id=world.site_1.id)
    kari = await _kari(session, world)
    active = await make_member(session, org, name="Ola Aktiv", group_id=world.residents)
    await make_tag(session, org, kari, "0411223344")
    await block_member(session, ACTOR, org.id, kari.id)
    tag = await make_tag(session, org, None, "0455667788", group_id=world.guests)
    # One open alert of every kind, so the dashboard names each of them.
    for kind in KINDS:
        session.add(
            Alert(
                organization_id=org.id,
                kind=kind,
                subject_key=f"walk:{kind}",
                charge_point_id=world.charger_1,
                connector_number=1,
                session_id=world.fallback if kind.startswith("session") else None,
                detail="NO1:NOK" if kind == SPOT_PRICES_MISSING else "GroundFailure",
                opened_at=utcnow(),
            )
        )
    invoicing = await seed_invoicing(session, org)
    await session.commit()
    return Seeded(
        {
            "org_id": str(org.id),
            "invoice_id": str(invoicing.open.id),
            "run_id": str(invoicing.run.id),
            "charger_id": str(world.charger_1),
            "site_id": str(world.site_1.id),
            "member_id": str(kari.id),
            "member_id@block": str(active.id),
            "group_id": str(world.residents),
            "plan_id": str(plan.id),
            "session_id": str(world.kari),
            "transaction_id": str(world.visitor),  # running on charger 1: its stop asks first
            "tag_id": str(tag.id),
            "fmt": "csv",
        }
    )


async def _kari(session: AsyncSession, world: World) -> Any:
    from sqlalchemy import select

    from ladeportal.members.models import Membership

    kari = await session.scalar(
        select(Membership).where(Membership.organization_id == world.org.id, Membership.name == "Kari Nordmann")
    )
    assert kari is not None and kari.state != MembershipState.blocked
    return kari


def org_admin_pages(app: FastAPI, ids: dict[str, str]) -> tuple[list[str], list[str]]:
    """(URLs of every GET page under /portal/o/{org_id}, paths with an id this test cannot fill)."""
    urls: list[str] = []
    unfilled: list[str] = []
    for route in _routes(app.routes):
        if "GET" not in (route.methods or set()):
            continue
        if not route.path.startswith(ORG_PAGES) or route.endpoint.__module__.rsplit(".", 1)[-1] in NOT_WALKED_MODULES:
            continue
        names = re.findall(r"{(\w+)}", route.path)
        if any(name not in ids and name not in ACTIONS for name in names):
            unfilled.append(route.path)
            continue
        choices = [ACTIONS.get(name, (ids.get(name, ""),)) for name in names]
        for combination in _product(choices):
            url = route.path
            action = dict(zip(names, combination, strict=True)).get("action")
            for name, value in zip(names, combination, strict=True):
                # A blocked member cannot be blocked again: that page is walked with an active one.
                value = ids.get(f"{name}@{action}", value)
                url = url.replace("{" + name + "}", value)
            query = next((q for end, q in QUERIES.items() if route.path.endswith(end)), "")
            urls.append(url + ("?" + query.format(**ids) if query else ""))
    return sorted(set(urls)), unfilled


def _routes(routes: list[Any]) -> list[Route]:
    """The app's routes, with those of included routers (FastAPI keeps an included router as one
    entry that holds the original; the portal's are included without a prefix)."""
    found: list[Route] = []
    for route in routes:
        if isinstance(route, Route):
            found.append(route)
        elif getattr(route, "original_router", None) is not None:
            found.extend(_routes(route.original_router.routes))
    return found


def _product(choices: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    combos: list[tuple[str, ...]] = [()]
    for options in choices:
        combos = [(*combo, option) for combo in combos for option in options]
    return combos


async def test_every_org_admin_page_is_in_norwegian(app: FastAPI, two_orgs: TwoOrgs, seeded: Seeded) -> None:
    urls, unfilled = org_admin_pages(app, seeded.ids)
    assert unfilled == [], "pages with an id this test does not know: add it to the seeded ids"
    for expected in ("/", "/chargers", "/sites", "/users", "/groups", "/rfid", "/prices", "/sessions", "/settings"):
        assert f"/portal/o/{seeded.ids['org_id']}{expected}" in urls, expected
    english = untranslated_english()
    client = two_orgs.admin_a.client
    found: dict[str, set[str]] = {}
    walked = 0
    for url in urls:
        response = await client.get(url, follow_redirects=True)  # /payments/refresh leads back to its page
        assert response.status_code == 200, f"{url}: {response.status_code}"
        if not response.headers.get("content-type", "").startswith("text/html"):
            continue
        walked += 1
        assert "<html" not in response.text or '<html lang="nb"' in response.text, url  # partials have none
        for text in visible_texts(response.text):
            msgid = english.find(text)
            if msgid is not None:
                found.setdefault(url.split(seeded.ids["org_id"], 1)[-1], set()).add(text)
    assert walked >= 25
    assert found == {}, "English text on Norwegian pages"
