"""Reminders to finish the payments set-up: 14, 7 and 1 days before the invoicing switch date while the
organisation is not ready, and once per deadline when Stripe reports a requirement past due; each once,
to the organisation's administrators and finance contacts only, by SMS in their language (and by e-mail
when they chose e-mail and have an address); none for a ready organisation."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.alerts.models import Channel
from ladeportal.alerts.preferences import set_channel
from ladeportal.billing.models import InvoicingSwitchDate, StripeAccount
from ladeportal.billing.reminders import remind_organization, run_reminders, switch_reminder_day
from ladeportal.db.engine import Database
from ladeportal.jobs.models import OutboxTask
from ladeportal.members.models import Membership, Role, User
from ladeportal.orgs.models import Organization
from ladeportal.settings import get_settings
from tests.billing.conftest import set_language, staff_member
from tests.factories import make_org

OSLO = ZoneInfo("Europe/Oslo")
SWITCH = date(2027, 3, 1)


def _at_local_noon(days_before: int) -> datetime:
    return datetime.combine(SWITCH - timedelta(days=days_before), time(12, 0), OSLO).astimezone(UTC)


@pytest.fixture
def console_email(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("LADEPORTAL_EMAIL_PROVIDER", "console")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def _sms(session: AsyncSession) -> list[dict[str, Any]]:
    rows = list(
        await session.scalars(
            select(OutboxTask.payload)
            .where(OutboxTask.kind == "sms.send", OutboxTask.dedupe_key.like("payments:%"))
            .order_by(OutboxTask.id)
        )
    )
    await session.commit()
    return rows


async def _emails(session: AsyncSession) -> list[dict[str, Any]]:
    rows = list(
        await session.scalars(select(OutboxTask.payload).where(OutboxTask.kind == "email.send").order_by(OutboxTask.id))
    )
    await session.commit()
    return rows


async def _phone(session: AsyncSession, membership: Membership) -> str | None:
    phone = await session.scalar(select(User.phone).where(User.id == membership.user_id))
    await session.commit()
    return phone


async def _account(session: AsyncSession, org: Organization, **fields: Any) -> None:
    values: dict[str, Any] = {
        "organization_id": org.id,
        "account_id": f"acct_{uuid.uuid4().hex[:16]}",
        "country": "NO",
        "business_type": "company",
        "currently_due": ["external_account"],
        "state": "in_progress",
    }
    session.add(StripeAccount(**(values | fields)))
    await session.commit()


async def _switch_on(session: AsyncSession, org: Organization, day: date = SWITCH) -> None:
    session.add(InvoicingSwitchDate(organization_id=org.id, switch_date=day))
    await session.commit()


@pytest.fixture
async def org(session: AsyncSession) -> Organization:
    return await make_org(session, legal_name="Solbakken Borettslag")


def test_the_reminder_due_is_the_nearest_not_yet_passed() -> None:
    assert [switch_reminder_day(d) for d in (30, 15, 14, 8, 7, 2, 1, 0, -3, None)] == [
        None,
        None,
        14,
        14,
        7,
        7,
        1,
        None,
        None,
        None,
    ]


async def test_admins_and_finance_are_reminded_14_7_and_1_days_before_once_each(
    db: Database, session: AsyncSession, org: Organization
) -> None:
    admin = await staff_member(session, org, Role.org_admin)
    finance = await staff_member(session, org, Role.finance)
    await staff_member(session, org, Role.member)
    other_org = await make_org(session)
    await staff_member(session, other_org, Role.org_admin)
    await _switch_on(session, other_org)  # another organisation's own reminders are its own
    await set_language(session, finance, "en")
    await _switch_on(session, org)

    for days_before in (20, 14, 13, 7, 6, 1, 0):
        assert await remind_organization(session, org.id, _at_local_noon(days_before)) == sent_keys(days_before)
    messages = await _sms(session)
    assert len(messages) == 3 * 2
    assert {m["to"] for m in messages} == {await _phone(session, admin), await _phone(session, finance)}
    texts = [m["text"] for m in messages]
    assert sum("om 14 dager" in t for t in texts) == 1 and sum("in 14 days" in t for t in texts) == 1
    assert sum("om 7 dager" in t for t in texts) == 1 and sum("in 7 days" in t for t in texts) == 1
    assert sum("i morgen" in t for t in texts) == 1 and sum("tomorrow" in t for t in texts) == 1
    assert all("Solbakken Borettslag" in t and f"/portal/o/{org.id}/payments" in t for t in texts)
    assert {m["purpose"] for m in messages} == {"payments"}
    # The job run again on the same days sends nothing new.
    for days_before in (14, 7, 1):
        assert await remind_organization(session, org.id, _at_local_noon(days_before)) == []
    assert len(await _sms(session)) == 6


def sent_keys(days_before: int) -> list[str]:
    day = {14: 14, 13: 14, 7: 7, 6: 7, 1: 1}.get(days_before)
    keys = {14: "switch:2027-03-01:14", 7: "switch:2027-03-01:7", 1: "switch:2027-03-01:1"}
    if day is None:
        return []
    # 13 and 6 days before fall in the windows already reminded at 14 and 7.
    return [keys[day]] if days_before in (14, 7, 1) else []


async def test_a_ready_organisation_gets_no_reminder(db: Database, session: AsyncSession, org: Organization) -> None:
    await staff_member(session, org, Role.org_admin)
    await _switch_on(session, org)
    await _account(
        session,
        org,
        details_submitted=True,
        charges_enabled=True,
        payouts_enabled=True,
        currently_due=[],
        state="ready",
    )
    for days_before in (14, 7, 1):
        assert await remind_organization(session, org.id, _at_local_noon(days_before)) == []
    assert await _sms(session) == []


async def test_a_past_due_requirement_is_reminded_once_per_deadline(
    db: Database, session: AsyncSession, org: Organization
) -> None:
    admin = await staff_member(session, org, Role.org_admin)
    deadline = datetime(2027, 2, 1, tzinfo=UTC)
    await _account(
        session,
        org,
        details_submitted=True,
        charges_enabled=True,
        currently_due=["external_account"],
        past_due=["external_account"],
        current_deadline=deadline,
        state="action_needed",
    )
    now = deadline + timedelta(hours=1)
    assert await run_reminders(db, now=now) == 1
    assert await run_reminders(db, now=now + timedelta(hours=1)) == 0
    [sms] = await _sms(session)
    assert "Stripe venter fortsatt på en bankkonto for utbetalinger" in sms["text"]
    assert sms["to"] == await _phone(session, admin)

    # Stripe sets a new deadline and it passes too: one more reminder.
    await session.execute(
        update(StripeAccount)
        .where(StripeAccount.organization_id == org.id)
        .values(current_deadline=deadline + timedelta(days=30))
    )
    await session.commit()
    assert await run_reminders(db, now=now + timedelta(days=31)) == 1
    assert len(await _sms(session)) == 2


async def test_nothing_past_due_before_the_details_are_submitted(
    db: Database, session: AsyncSession, org: Organization
) -> None:
    await staff_member(session, org, Role.org_admin)
    await _account(session, org, past_due=["external_account"], disabled_reason="requirements.past_due")
    assert await remind_organization(session, org.id, _at_local_noon(40)) == []


async def test_an_admin_who_chose_email_gets_it_too(
    db: Database, session: AsyncSession, org: Organization, console_email: None
) -> None:
    admin = await staff_member(session, org, Role.org_admin)
    plain = await staff_member(session, org, Role.org_admin)
    for m, address in ((admin, "styret@solbakken.no"), (plain, "kasserer@solbakken.no")):
        await session.execute(update(Membership).where(Membership.id == m.id).values(email=address))
    await session.commit()
    await set_channel(session, org.id, admin.user_id, Channel.email)
    await _switch_on(session, org)

    assert await remind_organization(session, org.id, _at_local_noon(7)) == ["switch:2027-03-01:7"]
    [email] = await _emails(session)
    assert "Solbakken Borettslag" in email["subject"] and "7 dager" in email["subject"]
    assert f"/portal/o/{org.id}/payments" in email["text"]
    assert "En bankkonto for utbetalinger" not in email["text"]  # no account yet: nothing listed as due
    assert len(await _sms(session)) == 2  # both by SMS as well
