"""Invoice lines worded in the member's language (nb, en, sv): a session's site and the day it ended
in the organisation's time zone, a site's month, a plan's monthly fee; an administrator's own text
is kept; at Stripe, a member who reads English gets English lines."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from types import SimpleNamespace

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.billing.invoice_execution import execute_invoice, lines_of
from ladeportal.billing.invoice_models import BillableItem, InvoicedItem, ItemKind
from ladeportal.billing.line_words import fee_words, language_of, session_words, site_month_words
from ladeportal.billing.stripe_gateway import gateway
from ladeportal.db.engine import Database
from ladeportal.stripe_standin.server import StandinServer
from tests.billing.conftest import set_language
from tests.billing.invoicing_fixtures import invoicing_org
from tests.billing.test_invoice_execution import a_member, claimed_invoice, fresh

SITE = uuid.uuid4()
PLAN = uuid.uuid4()
# 23:30 UTC on 31 October is 1 November in Oslo (UTC+1 in winter).
LATE = datetime(2026, 10, 31, 23, 30, tzinfo=UTC)


def _item(kind: ItemKind, *, n: int = 1, site: uuid.UUID | None = SITE, description: str = "Nøkkelbrikke") -> object:
    return SimpleNamespace(
        id=n,
        kind=kind,
        site_id=site,
        plan_id=PLAN if kind == ItemKind.plan_fee else None,
        period_month=date(2026, 10, 1),
        occurred_at=LATE,
        description=description,
        energy_wh=12_345,
        vat_rate_bp=2500,
        net_minor=800,
        vat_minor=200,
        gross_minor=1000,
    )


def test_a_sessions_line_names_the_site_and_the_local_day_in_each_language() -> None:
    assert session_words("Garasje B", LATE, "Europe/Oslo", "nb") == "Lading Garasje B 01.11.2026"
    assert session_words("Garasje B", LATE, "Europe/Oslo", "en") == "Charging Garasje B 01/11/2026"
    assert session_words("Garasje B", LATE, "Europe/Oslo", "sv") == "Laddning Garasje B 2026-11-01"


def test_months_and_fees_use_each_languages_month_names() -> None:
    october = date(2026, 10, 1)
    assert site_month_words("Garasje B", october, "nb") == "Lading Garasje B oktober 2026"
    assert site_month_words("Garasje B", october, "en") == "Charging Garasje B October 2026"
    assert site_month_words("Garasje B", october, "sv") == "Laddning Garasje B oktober 2026"
    assert fee_words("Fast plass", october, "en") == "Monthly fee Fast plass October 2026"
    assert fee_words("Fast plass", october, "sv") == "Månadsavgift Fast plass oktober 2026"
    # An unknown or missing language falls back to bokmål, the product's main language.
    assert language_of("de") == language_of(None) == "nb"


def test_lines_are_worded_in_the_members_language_and_manual_text_is_kept() -> None:
    items = [
        (0, _item(ItemKind.session, n=1)),
        (1, _item(ItemKind.session, n=2)),
        (1, _item(ItemKind.session, n=3)),
        (2, _item(ItemKind.plan_fee, n=4)),
        (3, _item(ItemKind.manual, n=5, site=None)),
        (4, _item(ItemKind.session, n=6, site=uuid.uuid4(), description="Lading Borte 01.11.2026")),
    ]
    lines = lines_of(items, {SITE: "Garasje B"}, language="en", time_zone="Europe/Oslo", plan_names={PLAN: "Fast"})
    assert [line.description for line in lines] == [
        "Charging Garasje B 01/11/2026",
        "Charging Garasje B October 2026",
        "Monthly fee Fast October 2026",
        "Nøkkelbrikke",
        "Lading Borte 01.11.2026",  # a site no longer known: the stored words
    ]
    assert [line.gross_minor for line in lines] == [1000, 2000, 1000, 1000, 1000]


async def test_a_member_who_reads_english_gets_english_lines_at_stripe(
    db: Database, session: AsyncSession, standin: StandinServer
) -> None:
    world = await invoicing_org(db, session, standin)
    member = await a_member(session, world)
    await set_language(session, member, "en")
    invoice = await claimed_invoice(session, world, member, [[10000]])
    # The helper claims manual items; this one is a session's (ended 2 October 12:00 UTC).
    await session.execute(
        update(BillableItem)
        .where(BillableItem.id.in_(select(InvoicedItem.item_id).where(InvoicedItem.invoice_id == invoice.id)))
        .values(kind=ItemKind.session)
    )
    await session.commit()
    await execute_invoice(db, gateway(), invoice.id)
    at_stripe = standin.invoice((await fresh(session, invoice.id)).stripe_invoice_id or "")
    [line] = at_stripe["lines"]["data"]
    assert line["description"] == f"Charging {world.site.name} 02/10/2026"
