"""After the due date: reminders once each (SMS, e-mail when known), none for paid invoices, however often
the job runs; charging blocked for an invoice overdue by more than the organisation's days, through
the one access decision (and a charger's Authorize), lifted when paid; the chargers' local lists; and a
person with unpaid invoices is kept from anonymisation."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.billing.invoice_models import BillingSettings, Invoice, InvoiceReminder, InvoiceState
from ladeportal.billing.overdue import due_reminders, overdue_block, run_overdue, send_reminders, update_blocks
from ladeportal.db.engine import Database
from ladeportal.jobs.models import OutboxTask
from ladeportal.members.access import AccessStatus, decide_access
from ladeportal.members.local_list import compute_local_list, local_list_version
from ladeportal.members.models import Membership
from ladeportal.members.persons import open_billing
from ladeportal.messaging.email_models import EmailDelivery
from ladeportal.orgs.models import Organization
from ladeportal.settings import get_settings
from tests.billing.after_invoice_fixtures import invoice_row
from tests.factories import make_member, make_org, make_site, make_tag, mobile_number
from tests.ocpp.conftest import RunningGateway, World, charger, gw, world  # noqa: F401  (fixtures)
from tests.portal.conftest import TwoOrgs

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


async def _settings(session: AsyncSession, org_id: uuid.UUID, **values: object) -> None:
    session.add(BillingSettings(organization_id=org_id, **values))
    await session.commit()


async def _sms(session: AsyncSession, invoice_id: uuid.UUID) -> list[str]:
    rows = await session.scalars(
        select(OutboxTask.dedupe_key)
        .where(OutboxTask.kind == "sms.send", OutboxTask.dedupe_key.like(f"invoice-reminder:{invoice_id}:%"))
        .order_by(OutboxTask.id)
    )
    found = [str(k) for k in rows]
    await session.commit()
    return found


async def _reminders(session: AsyncSession, invoice_id: uuid.UUID) -> set[str]:
    rows = await session.scalars(select(InvoiceReminder.reminder).where(InvoiceReminder.invoice_id == invoice_id))
    found = set(rows)
    await session.commit()
    return found


async def _member_invoice(
    session: AsyncSession, *, due_days_ago: int, state: InvoiceState = InvoiceState.open
) -> tuple[Organization, Membership, Invoice]:
    org = await make_org(session)
    member = await make_member(session, org, mobile_number(), name="Kari")
    invoice = await invoice_row(
        session, org.id, member.id, total_minor=43750, state=state, due_date=NOW.date() - timedelta(days=due_days_ago)
    )
    return org, member, invoice


def test_which_reminders_are_due() -> None:
    due = date(2026, 11, 1)
    assert due_reminders([3, 10], due, date(2026, 11, 3)) == []
    assert due_reminders([3, 10], due, date(2026, 11, 4)) == ["due+3"]
    assert due_reminders([10, 3, 3], due, date(2026, 11, 20)) == ["due+3", "due+10"]
    assert due_reminders([], due, date(2026, 12, 20)) == []
    assert due_reminders(None, due, date(2026, 11, 4)) == ["due+3"]  # no settings stored: the defaults
    assert due_reminders([0], due, due) == []  # on the due date itself nothing is late yet


async def test_each_reminder_goes_once_however_often_the_job_runs(db: Database, session: AsyncSession) -> None:
    org, _member, invoice = await _member_invoice(session, due_days_ago=4)
    await _settings(session, org.id, reminder_days=[3, 10])
    assert await send_reminders(db, NOW) == 1
    assert await send_reminders(db, NOW) == 0
    assert await send_reminders(db, NOW + timedelta(days=1)) == 0
    assert await _sms(session, invoice.id) == [f"invoice-reminder:{invoice.id}:due+3:sms"]
    task = await session.scalar(
        select(OutboxTask).where(OutboxTask.dedupe_key == f"invoice-reminder:{invoice.id}:due+3:sms")
    )
    assert task is not None
    text = task.payload["text"]
    await session.commit()
    assert "TEST-0001" in text and "437,50" in text and "https://pay.test/i/x" in text and "påminnelse" in text.lower()
    assert await send_reminders(db, NOW + timedelta(days=6)) == 1  # due+10
    assert await send_reminders(db, NOW + timedelta(days=30)) == 0
    assert await _reminders(session, invoice.id) == {"due+3", "due+10"}
    assert len(await _sms(session, invoice.id)) == 2


async def test_a_late_job_sends_only_the_latest_reminder(db: Database, session: AsyncSession) -> None:
    org, _member, invoice = await _member_invoice(session, due_days_ago=12)
    await _settings(session, org.id, reminder_days=[3, 10])
    assert await send_reminders(db, NOW) == 1
    assert await _reminders(session, invoice.id) == {"due+3", "due+10"}
    assert await _sms(session, invoice.id) == [f"invoice-reminder:{invoice.id}:due+10:sms"]


@pytest.mark.parametrize("state", [InvoiceState.paid, InvoiceState.void, InvoiceState.pending])
async def test_no_reminder_for_a_settled_invoice(db: Database, session: AsyncSession, state: InvoiceState) -> None:
    _org, _member, invoice = await _member_invoice(session, due_days_ago=20, state=state)
    assert await send_reminders(db, NOW) == 0
    assert await _reminders(session, invoice.id) == set()


async def test_the_reminder_is_also_e_mailed_when_the_address_is_known(
    db: Database, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LADEPORTAL_EMAIL_PROVIDER", "console")
    get_settings.cache_clear()
    org, member, _invoice = await _member_invoice(session, due_days_ago=3)
    await session.execute(update(Membership).where(Membership.id == member.id).values(email="kari@example.no"))
    await session.commit()
    assert await send_reminders(db, NOW) == 1
    assert await send_reminders(db, NOW) == 0
    mails = (await session.scalars(select(EmailDelivery).where(EmailDelivery.organization_id == org.id))).all()
    assert [(m.recipient, m.template, m.language) for m in mails] == [("kari@example.no", "invoice_reminder", "nb")]
    assert "Påminnelse" in mails[0].subject


async def test_blocking_through_the_access_decision_and_lifted_when_paid(db: Database, session: AsyncSession) -> None:
    org, member, invoice = await _member_invoice(session, due_days_ago=8)
    site = await make_site(session, org)
    tag = await make_tag(session, org, member)

    async def decision() -> tuple[AccessStatus, str]:
        async with db.session() as s:
            found = await decide_access(s, org.id, site.id, tag.uid, NOW)
        return found.status, found.reason

    assert await decision() == (AccessStatus.accepted, "ok")  # the organisation does not block
    await _settings(session, org.id, block_after_days=7)
    assert await decision() == (AccessStatus.blocked, "invoice overdue")
    async with db.session() as s:
        assert await overdue_block(s, org.id, member.id, NOW) is True
        assert await overdue_block(s, org.id, member.id, NOW - timedelta(days=1)) is False  # 7 days: not more
        assert await overdue_block(s, uuid.uuid4(), member.id, NOW) is False  # another organisation's question
    await session.execute(update(Invoice).where(Invoice.id == invoice.id).values(state=InvoiceState.paid))
    await session.commit()
    assert await decision() == (AccessStatus.accepted, "ok")
    await session.execute(update(Invoice).where(Invoice.id == invoice.id).values(state=InvoiceState.uncollectible))
    await session.commit()
    assert await decision() == (AccessStatus.blocked, "invoice overdue")


async def test_a_charger_is_told_blocked_and_then_accepted(
    db: Database,
    session: AsyncSession,
    gw: RunningGateway,  # noqa: F811
    world: World,  # noqa: F811
) -> None:
    invoice = await invoice_row(
        session, world.org.id, world.member.id, total_minor=10000, due_date=date.today() - timedelta(days=30)
    )
    await _settings(session, world.org.id, block_after_days=14)
    async with charger(gw.url, world.cp_id, world.password) as c:
        assert await c.ok("Authorize", {"idTag": "04A1B2C3"}) == {"idTagInfo": {"status": "Blocked"}}
        await session.execute(update(Invoice).where(Invoice.id == invoice.id).values(state=InvoiceState.paid))
        await session.commit()
        assert await c.ok("Authorize", {"idTag": "04A1B2C3"}) == {"idTagInfo": {"status": "Accepted"}}


async def test_local_lists_follow_blocks_once(db: Database, session: AsyncSession) -> None:
    org, member, invoice = await _member_invoice(session, due_days_ago=10)
    other = await make_member(session, org, mobile_number())
    tag = await make_tag(session, org, member)
    other_tag = await make_tag(session, org, other)
    await _settings(session, org.id, block_after_days=5, reminder_days=[])
    version = await local_list_version(session, org.id)
    await session.commit()
    async with db.session() as s:
        entries = {e.uid: e.status for e in await compute_local_list(s, org.id, at=NOW)}
    assert entries == {tag.uid: AccessStatus.blocked, other_tag.uid: AccessStatus.accepted}

    assert await update_blocks(db, NOW) == 1
    assert await update_blocks(db, NOW) == 0
    async with db.session() as s:
        assert await local_list_version(s, org.id) == version + 1
        blocked_sms = await s.scalar(
            select(OutboxTask.payload).where(OutboxTask.dedupe_key == f"invoice-reminder:{invoice.id}:blocked:sms")
        )
    assert blocked_sms is not None and "stanset" in blocked_sms["text"]

    await session.execute(update(Invoice).where(Invoice.id == invoice.id).values(state=InvoiceState.paid))
    await session.commit()
    assert await run_overdue(db, NOW) == (0, 1)
    assert await run_overdue(db, NOW) == (0, 0)
    async with db.session() as s:
        assert await local_list_version(s, org.id) == version + 2
        entries = {e.uid: e.status for e in await compute_local_list(s, org.id, at=NOW)}
    assert entries[tag.uid] == AccessStatus.accepted


async def test_unpaid_invoices_keep_a_person_identifiable(db: Database, session: AsyncSession) -> None:
    _org, member, invoice = await _member_invoice(session, due_days_ago=1)
    async with db.session() as s:
        assert await open_billing(s, member.user_id) == ["1 unpaid invoice(s)"]
    await session.execute(update(Invoice).where(Invoice.id == invoice.id).values(state=InvoiceState.paid))
    await session.commit()
    async with db.session() as s:
        assert await open_billing(s, member.user_id) == []


async def test_the_member_page_says_why_charging_is_refused(
    db: Database,
    session: AsyncSession,
    two_orgs: TwoOrgs,
) -> None:
    member = await make_member(session, two_orgs.org_a, mobile_number(), name="Kari")
    invoice = await invoice_row(
        session, two_orgs.org_a.id, member.id, total_minor=10000, due_date=date.today() - timedelta(days=30)
    )
    url = f"/portal/o/{two_orgs.org_a.id}/users/{member.id}"
    notice = "Ladingen avvises fordi en faktura er forfalt"
    assert notice not in (await two_orgs.admin_a.client.get(url)).text  # the organisation does not block
    await _settings(session, two_orgs.org_a.id, block_after_days=14)
    page = await two_orgs.admin_a.client.get(url)
    assert page.status_code == 200 and notice in page.text
    await session.execute(update(Invoice).where(Invoice.id == invoice.id).values(state=InvoiceState.paid))
    await session.commit()
    assert notice not in (await two_orgs.admin_a.client.get(url)).text
    assert (await two_orgs.admin_b.client.get(f"/portal/o/{two_orgs.org_b.id}/users/{member.id}")).status_code == 404
