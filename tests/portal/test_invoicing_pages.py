"""The invoicing section of the portal: for the board and the finance contact every page opens, in
Norwegian without English left over; a plain member and another organisation's admin get 404 on every
page and form and change nothing. Filters filter; every form refuses bad input with a message next to
the field and stores nothing; a form without its CSRF token is refused. The whole month against the
Stripe stand-in: the finance user prepares the preview, approves it (a confirmation page, no scripts),
sees the progress, the invoice with its hosted page, credits part of it, and the export adds up."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.billing.invoice_models import (
    BillableItem,
    BillingSettings,
    Credit,
    CreditState,
    Invoice,
    InvoiceRun,
    InvoiceState,
    ItemKind,
    RunState,
)
from ladeportal.db.engine import Database
from ladeportal.demo import FINANCE_PHONE, load_demo, prepare_demo_invoicing
from ladeportal.jobs import registry  # noqa: F401  (the worker's handlers, as the worker has them)
from ladeportal.jobs.outbox import run_due_tasks
from ladeportal.members.models import Role, User
from ladeportal.platform.api_tokens import create_api_token
from ladeportal.stripe_standin.server import StandinServer
from tests.billing.conftest import standin, stripe_settings  # noqa: F401  (fixtures)
from tests.billing.invoicing_fixtures import (
    Seeded,
    finance_user,
    invoicing_org,
    members_with_sessions,
    seed_invoicing,
)
from tests.factories import ACTOR, make_member, mobile_number
from tests.portal.conftest import TwoOrgs, csrf_of, new_client, sign_in
from tests.portal.test_portal_norwegian_walk import untranslated_english, visible_texts


@dataclass
class World:
    two: TwoOrgs
    seeded: Seeded
    other: Seeded  # the same month in organisation B
    member: httpx.AsyncClient  # a plain member of A, signed in (admin of an organisation of their own)

    def base(self) -> str:
        return f"/portal/o/{self.two.org_a.id}/invoicing"


@pytest.fixture
async def world(app: FastAPI, two_orgs: TwoOrgs, session: AsyncSession) -> AsyncIterator[World]:
    seeded = await seed_invoicing(session, two_orgs.org_a)
    other = await seed_invoicing(session, two_orgs.org_b)
    phone = mobile_number()
    await make_member(session, two_orgs.org_a, phone, role=Role.member)
    await make_member(session, other.org, phone, role=Role.org_admin)  # so the person can sign in at all
    async with new_client(app) as member:
        assert (await sign_in(member, session, phone)).status_code == 303
        yield World(two_orgs, seeded, other, member)


def assert_norwegian(response: httpx.Response) -> None:
    english = untranslated_english()
    found = sorted({t for t in visible_texts(response.text) if english.find(t) is not None})
    assert found == [], f"English on {response.url}: {found}"


def page_urls(w: World) -> list[str]:
    """Every GET page of the section, with ids of organisation A."""
    s, base = w.seeded, w.base()
    return [
        base,
        f"{base}/invoices",
        f"{base}/invoices?period=2026-10&state=open",
        f"{base}/invoices/{s.paid.id}",
        f"{base}/invoices/{s.open.id}",
        f"{base}/invoices/{s.pending.id}",
        f"{base}/invoices/{s.open.id}/credit",
        f"{base}/invoices/{s.paid.id}/credit",
        f"{base}/members/{s.kari.id}",
        f"{base}/outstanding",
        f"{base}/payouts",
        f"{base}/export",
        f"{base}/settings",
        f"{base}/items/new",
        f"{base}/items/new?member={s.kari.id}",
        f"{base}/runs/{s.run.id}",
    ]


async def test_every_page_opens_for_finance_and_board_in_norwegian(world: World) -> None:
    english = untranslated_english()
    for person in (world.two.finance_a, world.two.admin_a):
        found: dict[str, set[str]] = {}
        for url in page_urls(world):
            response = await person.client.get(url)
            assert response.status_code == 200, f"{url}: {response.status_code}"
            assert '<html lang="nb"' in response.text
            for text in visible_texts(response.text):
                if english.find(text) is not None:
                    found.setdefault(url, set()).add(text)
        assert found == {}, f"English on Norwegian pages: {found}"
    page = await world.two.finance_a.client.get(world.base())
    assert ">Fakturering<" in page.text  # the navigation entry
    for download in ("export.csv?month=2026-11", "export.xlsx?month=2026-11"):
        response = await world.two.finance_a.client.get(f"{world.base()}/{download}")
        assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]


async def test_members_and_outsiders_get_404_on_every_page_and_form(world: World, session: AsyncSession) -> None:
    s, base = world.seeded, world.base()
    outsider = world.two.admin_b.client
    own_pages = {
        outsider: f"/portal/o/{world.two.org_b.id}/invoicing",
        world.member: f"/portal/o/{world.other.org.id}/",
    }
    forms = {
        f"{base}/runs": {"month": "2026-11"},
        f"{base}/runs/{s.run.id}/approve": {},
        f"{base}/invoices/{s.open.id}/credit": {"amount": "10", "reason": "x", "confirm": "1"},
        f"{base}/items/new": {"member_id": str(s.kari.id), "description": "x", "amount": "10", "confirm": "1"},
        f"{base}/settings": {"invoice_day": "5", "days_until_due": "10", "line_mode": "per_session"},
    }
    items_before = await session.scalar(select(func.count()).select_from(BillableItem))
    for person in (world.member, outsider):
        for url in page_urls(world):
            assert (await person.get(url)).status_code == 404, url
        token = csrf_of((await person.get(own_pages[person])).text)
        for url, data in forms.items():
            assert (await person.post(url, data={**data, "csrf_token": token})).status_code == 404, url
        nav = (await person.get(own_pages[person])).text
        assert f"/portal/o/{world.two.org_a.id}/invoicing" not in nav
    # B's own invoices are B's: A's finance user cannot open them either.
    for url in (
        f"{base}/invoices/{world.other.paid.id}",
        f"{base}/invoices/{world.other.open.id}/credit",
        f"{base}/members/{world.other.kari.id}",
        f"{base}/runs/{world.other.run.id}",
        f"{base}/runs/{world.other.run.id}/approve",
        f"{base}/invoices/not-a-uuid",
        f"{base}/runs/not-a-uuid",
    ):
        assert (await world.two.finance_a.client.get(url)).status_code == 404, url
    await session.commit()
    assert await session.scalar(select(func.count()).select_from(BillableItem)) == items_before
    assert await session.scalar(select(func.count()).select_from(BillingSettings)) == 0


def _invoice_numbers(html: str) -> list[str]:
    return sorted(n for n in ("INV-0001", "INV-0002", "INV-0003") if f">{n}<" in html)


async def test_filters_find_by_month_state_member_and_group(world: World, session: AsyncSession) -> None:
    c, base = world.two.finance_a.client, world.base()
    everything = (await c.get(f"{base}/invoices")).text
    assert _invoice_numbers(everything) == ["INV-0001", "INV-0002", "INV-0003"]
    assert "(ikke sendt ennå)" in everything  # the pending one
    assert world.other.org.legal_name not in everything
    assert _invoice_numbers((await c.get(f"{base}/invoices?state=paid")).text) == ["INV-0001"]
    assert _invoice_numbers((await c.get(f"{base}/invoices?member=kari")).text) == ["INV-0001"]
    assert _invoice_numbers((await c.get(f"{base}/invoices?member=%C3%A5sen")).text) == ["INV-0002"]  # "åsen"
    await session.refresh(world.seeded.ola, ["user"])
    digits = world.seeded.ola.user.phone[-6:]
    assert _invoice_numbers((await c.get(f"{base}/invoices?member={digits}")).text) == ["INV-0002"]
    assert _invoice_numbers((await c.get(f"{base}/invoices?period=2026-10")).text) == [
        "INV-0001",
        "INV-0002",
        "INV-0003",
    ]
    empty = await c.get(f"{base}/invoices?period=2026-09")
    assert 'data-testid="invoices-empty"' in empty.text and "Ingen fakturaer passer" in empty.text
    group = world.seeded.kari.group_id
    assert group is not None
    assert _invoice_numbers((await c.get(f"{base}/invoices?group={group}")).text) == ["INV-0001"]
    for bad, field in (("period=2026-13", "period"), ("state=lost", "state"), ("group=nope", "group")):
        response = await c.get(f"{base}/invoices?{bad}")
        assert response.status_code == 422, bad
        assert 'data-testid="filter-error"' in response.text
        assert f'id="{field}" name="{field}"' in response.text
    assert "Oppgi måneden som ÅÅÅÅ-MM" in (await c.get(f"{base}/invoices?period=oktober")).text


async def test_an_invoice_shows_its_lines_state_links_payments_and_credits(world: World) -> None:
    c, s = world.two.finance_a.client, world.seeded
    paid = (await c.get(f"{world.base()}/invoices/{s.paid.id}")).text
    assert 'data-state="paid"' in paid and ">Betalt<" in paid
    assert paid.count('data-testid="invoice-item"') == 2
    assert 'href="http://standin.test/i/x"' in paid and "Betalingsside" in paid
    assert "Refusjon" in paid and "Dobbel start" in paid and "Avvist" in paid  # the failed one is listed too
    assert "Refunder" in paid  # money back is offered for a paid invoice
    opened = (await c.get(f"{world.base()}/invoices/{s.open.id}")).text
    assert "Kreditnota" in opened and ">Krediter<" in opened
    assert "150,00" in opened  # 200,01 invoiced less 50,01 credited: outstanding
    assert "Purring 3 dager etter forfall" in opened
    pending = (await c.get(f"{world.base()}/invoices/{s.pending.id}")).text
    assert "Krediter" not in pending and "Refunder" not in pending


async def test_the_statement_adds_invoices_payments_and_credits_up(world: World) -> None:
    c, s = world.two.finance_a.client, world.seeded
    html = (await c.get(f"{world.base()}/members/{s.kari.id}")).text
    entries = html.count('data-testid="statement-entry"')
    assert entries == 3  # invoice, payment, refund
    assert 'data-kind="refund"' in html
    # 191,34 invoiced and paid; the refund gives money back, so nothing is owed; a key card waits.
    balance = html.split('data-testid="statement-balance">', 1)[1].split("<", 1)[0]
    assert balance.replace("\xa0", " ").strip() == "kr 0,00"
    assert "100,00" in html.split('data-testid="statement-unbilled">', 1)[1].split("<", 1)[0]
    assert 'data-testid="statement-month"' in html
    ola = (await c.get(f"{world.base()}/members/{s.ola.id}")).text
    balance = ola.split('data-testid="statement-balance">', 1)[1].split("<", 1)[0]
    assert "150,00" in balance  # 200,01 less the credit note of 50,01


async def test_settings_are_saved_and_bad_input_changes_nothing(world: World, session: AsyncSession) -> None:
    c, url = world.two.finance_a.client, f"{world.base()}/settings"
    page = await c.get(url)
    assert "Plattformgebyr:" in page.text and "0,00 %" in page.text
    good = {
        "invoice_day": "5",
        "days_until_due": "10",
        "line_mode": "per_session",
        "minimum_amount": "50,00",
        "reminder_days": "3, 10",
        "block_after_days": "",
        "invoice_text": "Takk!",
        "footer": "",
    }
    for field, value, shown_at in (
        ("invoice_day", "40", "invoice_day"),
        ("invoice_day", "fem", "invoice_day"),
        ("days_until_due", "0", "days_until_due"),
        ("minimum_amount", "12,345", "minimum_amount"),
        ("reminder_days", "3, x", "reminder_days"),
        ("line_mode", "per_minute", "line_mode"),
    ):
        response = await c.post(url, data={**good, field: value, "csrf_token": csrf_of(page.text)})
        assert response.status_code == 422, (field, value)
        assert f'id="e-{shown_at}"' in response.text, (field, value)
    await session.commit()
    assert await session.get(BillingSettings, world.two.org_a.id) is None
    refused = await c.post(url, data=good)  # no CSRF token
    assert refused.status_code == 403
    saved = await c.post(url, data={**good, "csrf_token": csrf_of(page.text)})
    assert saved.status_code == 303
    await session.commit()
    row = await session.get(BillingSettings, world.two.org_a.id)
    assert row is not None and (row.invoice_day, row.minimum_amount_minor, row.reminder_days) == (5, 5000, [3, 10])
    assert "Innstillingene for fakturering er lagret." in (await c.get(url)).text


async def _items(session: AsyncSession) -> int:
    await session.commit()
    return int(await session.scalar(select(func.count()).select_from(BillableItem)) or 0)


async def test_a_manual_item_is_confirmed_first_and_bad_input_stores_nothing(
    world: World, session: AsyncSession
) -> None:
    c, url = world.two.finance_a.client, f"{world.base()}/items/new"
    token = csrf_of((await c.get(url)).text)
    before = await _items(session)
    outsider_phone = world.other.kari
    await session.refresh(outsider_phone, ["user"])
    for data, field in (
        ({"phone": "", "description": "Brikke", "amount": "100"}, "phone"),
        ({"phone": "12", "description": "Brikke", "amount": "100"}, "phone"),
        ({"phone": outsider_phone.user.phone, "description": "Brikke", "amount": "100"}, "phone"),
        ({"member_id": str(world.seeded.kari.id), "description": "", "amount": "100"}, "description"),
        ({"member_id": str(world.seeded.kari.id), "description": "Brikke", "amount": "hundre"}, "amount"),
        ({"member_id": str(world.seeded.kari.id), "description": "Brikke", "amount": "0"}, "amount"),
        ({"member_id": str(world.seeded.kari.id), "description": "Brikke", "amount": "1,234"}, "amount"),
        ({"member_id": str(world.seeded.kari.id), "description": "x" * 201, "amount": "10"}, "description"),
    ):
        response = await c.post(url, data={**data, "csrf_token": token})
        assert response.status_code == 422, data
        assert f'id="e-{field}"' in response.text, data
    assert await _items(session) == before
    # A credit of 75 kr: the confirmation first, stored only after "Yes".
    data = {"member_id": str(world.seeded.ola.id), "description": "Feil på lader", "amount": "-75"}
    confirm = await c.post(url, data={**data, "csrf_token": token})
    assert confirm.status_code == 200 and 'data-testid="item-confirm"' in confirm.text
    assert "trekkes fra neste faktura" in confirm.text
    assert await _items(session) == before
    done = await c.post(url, data={**data, "confirm": "1", "csrf_token": csrf_of(confirm.text)})
    assert done.status_code == 303 and done.headers["location"].endswith(f"/members/{world.seeded.ola.id}")
    assert await _items(session) == before + 1
    item = await session.scalar(select(BillableItem).order_by(BillableItem.id.desc()).limit(1))
    assert item is not None and (item.kind, item.gross_minor, item.membership_id) == (
        ItemKind.manual,
        -7500,
        world.seeded.ola.id,
    )
    statement = (await c.get(done.headers["location"])).text
    unbilled = statement.split('data-testid="statement-unbilled">', 1)[1].split("<", 1)[0]
    assert unbilled.startswith("-") and "75,00" in unbilled


async def test_the_credit_form_refuses_bad_input_and_asks_first(world: World, session: AsyncSession) -> None:
    c, s = world.two.finance_a.client, world.seeded
    url = f"{world.base()}/invoices/{s.open.id}/credit"
    page = await c.get(url)
    assert 'value="150,00"' in page.text  # what is left to credit
    token = csrf_of(page.text)
    for data, field in (
        ({"amount": "", "reason": "Feil"}, "amount"),
        ({"amount": "-5", "reason": "Feil"}, "amount"),
        ({"amount": "0", "reason": "Feil"}, "amount"),
        ({"amount": "tjue", "reason": "Feil"}, "amount"),
        ({"amount": "20", "reason": "  "}, "reason"),
        ({"amount": "20", "reason": "x" * 501}, "reason"),
    ):
        response = await c.post(url, data={**data, "csrf_token": token})
        assert response.status_code == 422, data
        assert f'id="e-{field}"' in response.text, data
    confirm = await c.post(url, data={"amount": "20", "reason": "Feil måling", "csrf_token": token})
    assert confirm.status_code == 200 and "Kreditere kr 20,00 på denne fakturaen?" in confirm.text
    assert (await c.post(url, data={"amount": "20", "reason": "Feil", "confirm": "1"})).status_code == 403
    await session.commit()
    credits = await session.scalar(select(func.count()).select_from(Credit).where(Credit.invoice_id == s.open.id))
    assert credits == 1  # only the seeded one


async def test_approving_is_refused_while_stripe_cannot_take_payments(
    world: World, session: AsyncSession, db: Database
) -> None:
    c = world.two.finance_a.client
    overview = await c.get(world.base())
    bad = await c.post(f"{world.base()}/runs", data={"month": "2026-13", "csrf_token": csrf_of(overview.text)})
    assert bad.status_code == 422 and 'id="e-month"' in bad.text
    future = await c.post(f"{world.base()}/runs", data={"month": "2099-01", "csrf_token": csrf_of(overview.text)})
    assert future.status_code == 422 and 'id="e-month"' in future.text
    opened = await c.post(f"{world.base()}/runs", data={"month": "2026-11", "csrf_token": csrf_of(overview.text)})
    assert opened.status_code == 303
    run_url = opened.headers["location"]
    preview = await c.get(run_url)
    # Kari's key card (November) waits unbilled: she is the one member of this run.
    assert preview.text.count('data-testid="draft"') == 1 and "Kari Hansen" in preview.text
    confirm = await c.get(f"{run_url}/approve")
    assert confirm.status_code == 200 and 'data-testid="approve-confirm"' in confirm.text
    refused = await c.post(f"{run_url}/approve", data={"csrf_token": csrf_of(confirm.text)})
    assert refused.status_code == 422 and 'data-testid="approve-error"' in refused.text
    await session.commit()
    run = await session.scalar(select(InvoiceRun).where(InvoiceRun.period_month == date(2026, 11, 1)))
    assert run is not None and run.state == RunState.awaiting_approval


async def test_a_month_from_preview_to_paid_invoice_and_export(
    app: FastAPI,
    db: Database,
    session: AsyncSession,
    standin: StandinServer,  # noqa: F811  (the fixture imported above)
) -> None:
    """Against the stand-in: sessions in November, the finance user prepares the preview, approves it,
    the worker makes the invoices, the invoice page links Stripe's hosted page, a credit note is made,
    and the export's totals equal the invoices less the credit."""
    org_world = await invoicing_org(db, session, standin)
    await members_with_sessions(session, org_world, month=date(2026, 11, 1), members=2, sessions_each=2)
    finance = await finance_user(session, org_world.org)
    phone = await session.scalar(select(User.phone).where(User.id == finance.user_id))
    assert phone is not None
    async with new_client(app) as c:
        assert (await sign_in(c, session, phone)).status_code == 303
        base = f"/portal/o/{org_world.org.id}/invoicing"
        overview = await c.get(base)
        assert 'data-testid="runs-empty"' in overview.text and "Ingen fakturaer ennå" in overview.text
        for empty in ("", "/invoices", "/outstanding", "/payouts"):
            assert_norwegian(await c.get(base + empty))
        opened = await c.post(f"{base}/runs", data={"month": "2026-11", "csrf_token": csrf_of(overview.text)})
        run_url = opened.headers["location"]
        preview = await c.get(run_url)
        assert preview.text.count('data-testid="draft"') == 2
        assert_norwegian(preview)
        confirm = await c.get(f"{run_url}/approve")
        assert_norwegian(confirm)
        approved = await c.post(f"{run_url}/approve", data={"csrf_token": csrf_of(confirm.text)})
        assert approved.status_code == 303
        running = await c.get(run_url)
        assert 'hx-trigger="every 2s"' in running.text and 'data-testid="refresh"' in running.text
        assert "0 av 2 fakturaer" in running.text
        assert_norwegian(running)
        assert_norwegian(await c.get(f"{run_url}?partial=progress"))
        while await run_due_tasks(db, "test-worker"):
            pass
        done = await c.get(run_url)
        assert "2 av 2 fakturaer" in done.text and 'hx-trigger="every 2s"' not in done.text
        listing = await c.get(f"{base}/invoices?state=open")
        assert listing.text.count('data-testid="invoice-row"') == 2
        await session.commit()
        invoice = await session.scalar(
            select(Invoice).where(Invoice.organization_id == org_world.org.id).order_by(Invoice.total_minor)
        )
        assert invoice is not None and invoice.state == InvoiceState.open and invoice.hosted_url
        page = await c.get(f"{base}/invoices/{invoice.id}")
        assert f'href="{invoice.hosted_url}"' in page.text and invoice.number and invoice.number in page.text
        assert_norwegian(page)
        credit_url = f"{base}/invoices/{invoice.id}/credit"
        form = await c.get(credit_url)
        asked = await c.post(
            credit_url, data={"amount": "10,00", "reason": "Feil måling", "csrf_token": csrf_of(form.text)}
        )
        assert 'data-testid="credit-confirm"' in asked.text
        assert_norwegian(asked)
        data = {"amount": "10,00", "reason": "Feil måling", "confirm": "1", "csrf_token": csrf_of(form.text)}
        credited = await c.post(credit_url, data=data)
        assert credited.status_code == 303, credited.text
        assert "Kreditnotaen er registrert." in (await c.get(credited.headers["location"])).text
        await session.commit()
        credit = await session.scalar(select(Credit).where(Credit.invoice_id == invoice.id))
        assert credit is not None and credit.state == CreditState.done and credit.amount_minor == 1000
        month = datetime.now(ZoneInfo(org_world.org.time_zone)).strftime("%Y-%m")
        export = await c.get(f"{base}/export.csv?month={month}")
        rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
        invoices = (await session.scalars(select(Invoice).where(Invoice.organization_id == org_world.org.id))).all()
        expected = sum(i.total_minor for i in invoices) - 1000
        assert int(rows[-1][5].replace(",", "")) == expected
        assert len(rows) == 1 + len(invoices) + 1 + 1


async def test_an_unknown_export_format_is_404(world: World) -> None:
    c = world.two.finance_a.client
    assert (await c.get(f"{world.base()}/export.pdf")).status_code == 404
    bad = await c.get(f"{world.base()}/export.csv?month=2026-1")
    assert bad.status_code == 422 and 'id="e-month"' in bad.text


# --- the JSON API -------------------------------------------------------------------------------------


def api_urls(w: World) -> list[str]:
    s, base = w.seeded, f"/api/v1/orgs/{w.two.org_a.id}"
    return [
        f"{base}/invoicing/runs",
        f"{base}/invoicing/runs/current",
        f"{base}/invoicing/runs/{s.run.id}",
        f"{base}/invoicing/runs/{s.run.id}/preview",
        f"{base}/invoices",
        f"{base}/invoices?state=paid&period=2026-10",
        f"{base}/invoices/{s.paid.id}",
        f"{base}/invoicing/statements/{s.kari.id}",
        f"{base}/invoicing/outstanding",
        f"{base}/invoicing/payouts",
        f"{base}/invoicing/export.csv?month=2026-11",
        f"{base}/invoicing/export.xlsx?month=2026-11",
    ]


async def _token(session: AsyncSession, org_id: uuid.UUID, scopes: list[str]) -> dict[str, str]:
    made = await create_api_token(session, ACTOR, org_id, "regnskap", scopes)
    return {"Authorization": f"Bearer {made.secret}"}


async def test_the_api_answers_staff_and_tokens_of_the_organisation_only(
    app: FastAPI, world: World, session: AsyncSession
) -> None:
    own = await _token(session, world.two.org_a.id, ["read"])
    outsider = await _token(session, world.two.org_b.id, ["read", "write"])
    async with new_client(app) as api:
        for url in api_urls(world):
            assert (await api.get(url, headers=own)).status_code == 200, url
            assert (await api.get(url, headers=outsider)).status_code == 404, url
            assert (await world.two.finance_a.client.get(url)).status_code == 200, url  # the signed-in browser
            assert (await world.member.get(url)).status_code == 404, url
        base = f"/api/v1/orgs/{world.two.org_a.id}"
        for url, body in (
            (f"{base}/invoicing/runs", {"month": "2026-11"}),
            (f"{base}/invoicing/runs/{world.seeded.run.id}/approve", None),
        ):
            assert (await api.post(url, json=body, headers=outsider)).status_code == 404, url
            assert (await api.post(url, json=body, headers=own)).status_code == 403, url  # a read-only token
        # Another organisation's objects read as missing ones.
        for url in (
            f"{base}/invoices/{world.other.paid.id}",
            f"{base}/invoicing/runs/{world.other.run.id}",
            f"{base}/invoicing/statements/{world.other.kari.id}",
        ):
            response = await api.get(url, headers=own)
            assert response.status_code == 404 and response.json()["code"] in {
                "invoicing.invoice_not_found",
                "invoicing.run_not_found",
                "member.not_found",
            }, url
    await session.commit()
    assert await session.scalar(select(func.count()).select_from(InvoiceRun)) == 2  # nothing opened


async def test_the_api_lists_filters_and_explains_bad_input(app: FastAPI, world: World, session: AsyncSession) -> None:
    headers = await _token(session, world.two.org_a.id, ["read", "write"])
    base = f"/api/v1/orgs/{world.two.org_a.id}"
    async with new_client(app) as api:
        page = (await api.get(f"{base}/invoices?member=kari", headers=headers)).json()
        assert [i["number"] for i in page["items"]] == ["INV-0001"] and page["total"] == 1
        detail = (await api.get(f"{base}/invoices/{world.seeded.open.id}", headers=headers)).json()
        assert detail["outstanding_minor"] == 20_001 - 5_001 and len(detail["items"]) == 1
        assert detail["credits"][0]["kind"] == "credit_note"
        statement = (await api.get(f"{base}/invoicing/statements/{world.seeded.kari.id}", headers=headers)).json()
        assert statement["balance_minor"] == 0 and statement["unbilled_minor"] == 10_000
        assert [e["kind"] for e in statement["entries"]] == ["refund", "payment", "invoice"]
        owed = (await api.get(f"{base}/invoicing/outstanding", headers=headers)).json()
        assert owed["owed_minor"] == 15_000 and owed["owed_invoices"] == 1
        export = await api.get(f"{base}/invoicing/export.csv?month=2026-11&language=en", headers=headers)
        assert export.content.startswith("\ufeffDate;Invoice number".encode())
        for url, code in (
            (f"{base}/invoices?period=2026-13", "invoicing.month_invalid"),
            (f"{base}/invoices?state=lost", "form.choice_invalid"),
            (f"{base}/invoicing/export.csv?month=nov", "invoicing.month_invalid"),
        ):
            response = await api.get(url, headers=headers)
            assert response.status_code == 422 and response.json()["code"] == code, url
        assert (await api.get(f"{base}/invoicing/export.pdf?month=2026-11", headers=headers)).status_code == 404
        refused = await api.post(f"{base}/invoicing/runs", json={"month": "2099-01"}, headers=headers)
        assert refused.status_code == 422 and refused.json()["code"] == "invoicing.period_not_ended"
        opened = await api.post(f"{base}/invoicing/runs", json={"month": "2026-11"}, headers=headers)
        assert opened.status_code == 201 and opened.json()["state"] == "awaiting_approval"
        run_id = opened.json()["id"]
        preview = (await api.get(f"{base}/invoicing/runs/{run_id}/preview", headers=headers)).json()
        assert preview["invoices"] == 1 and preview["total_minor"] == 10_000
        assert preview["items"][0]["member_name"] == "Kari Hansen"
        refused = await api.post(f"{base}/invoicing/runs/{run_id}/approve", headers=headers)
        assert refused.status_code == 409 and refused.json()["code"] == "invoicing.payments_not_ready"


async def test_the_demo_finance_user_previews_approves_and_exports_the_month(
    app: FastAPI,
    db: Database,
    session: AsyncSession,
    standin: StandinServer,  # noqa: F811  (the fixture imported above)
    tmp_path: Path,
) -> None:
    """`make run`'s cooperative: last month's run waits; the finance user previews and approves it in the
    portal, the invoices are made, and the export of the month they were sent in adds up to them."""
    demo = await load_demo(db, str(tmp_path / "demo-chargers.json"))
    await prepare_demo_invoicing(db, standin.url)
    async with new_client(app) as c:
        assert (await sign_in(c, session, FINANCE_PHONE)).status_code == 303
        base = f"/portal/o/{demo.organization_id}/invoicing"
        overview = await c.get(base)
        assert 'data-testid="preview-link"' in overview.text and ">Forhåndsvis<" in overview.text
        run_url = overview.text.split('data-testid="preview-link"', 1)[0].rsplit('href="', 1)[1].split('"', 1)[0]
        preview = await c.get(run_url)
        assert_norwegian(preview)
        drafts = preview.text.count('data-testid="draft"')
        assert drafts > 0
        confirm = await c.get(f"{run_url}/approve")
        assert (await c.post(f"{run_url}/approve", data={"csrf_token": csrf_of(confirm.text)})).status_code == 303
        while await run_due_tasks(db, "test-worker"):
            pass
        done = await c.get(run_url)
        assert 'data-state="done"' in done.text
        await session.commit()
        invoices = (await session.scalars(select(Invoice).where(Invoice.organization_id == demo.organization_id))).all()
        assert invoices and all(i.state == InvoiceState.open for i in invoices)
        listing = await c.get(f"{base}/invoices")
        assert listing.text.count('data-testid="invoice-row"') == len(invoices)
        month = datetime.now(ZoneInfo("Europe/Oslo")).strftime("%Y-%m")
        export = await c.get(f"{base}/export.csv?month={month}")
        rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
        assert len(rows) == 1 + len(invoices) + 1
        assert int(rows[-1][5].replace(",", "")) == sum(i.total_minor for i in invoices)
