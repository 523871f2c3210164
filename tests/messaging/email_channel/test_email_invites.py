"""Invitations by e-mail: beside the SMS when the membership has an address and e-mail is on, once per
invitation however often the request is retried, by e-mail alone when the admin chooses so on a
resend, and with the organisation's name escaped in the HTML."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.base import utcnow
from ladeportal.db.engine import unit_of_work
from ladeportal.errors import Conflict
from ladeportal.jobs.models import OutboxTask
from ladeportal.members.invites import queue_invite_email, resend_invite
from ladeportal.members.models import Role
from ladeportal.members.services import MemberInput, add_member
from ladeportal.messaging.email_models import EmailDelivery
from ladeportal.messaging.queue import EMAIL_TASK
from tests.factories import ACTOR, make_org, mobile_number


async def _sent(session: AsyncSession) -> tuple[list[str], list[EmailDelivery], list[dict[str, Any]]]:
    """(invitation SMS numbers, e-mail delivery records, e-mail task payloads)."""
    await session.commit()
    tasks = (await session.scalars(select(OutboxTask).order_by(OutboxTask.id))).all()
    sms = [t.payload["to"] for t in tasks if t.kind == "sms.send" and t.payload.get("purpose") == "invite"]
    emails = [t.payload for t in tasks if t.kind == EMAIL_TASK]
    deliveries = (await session.scalars(select(EmailDelivery).order_by(EmailDelivery.id))).all()
    return sms, list(deliveries), emails


async def test_an_added_member_with_an_address_gets_the_sms_and_the_email(
    session: AsyncSession, configure: Callable[..., None]
) -> None:
    configure(email_provider="console")
    org = await make_org(session)
    phone = mobile_number()
    membership = await add_member(
        session, ACTOR, org.id, MemberInput(phone=phone, email="kari@solbakken.no", language="en")
    )
    sms, deliveries, emails = await _sent(session)
    assert sms == [phone]
    assert [(d.recipient, d.template, d.language, d.organization_id) for d in deliveries] == [
        ("kari@solbakken.no", "invite", "en", org.id)
    ]
    assert deliveries[0].dedupe_key == f"invite-email:{membership.id}:1"
    assert len(emails) == 1 and "invites you" in emails[0]["subject"]
    assert "https://" in emails[0]["text"] or "http://" in emails[0]["text"]


async def test_an_administrator_is_sent_the_portal_login_link(
    session: AsyncSession, configure: Callable[..., None]
) -> None:
    configure(email_provider="console")
    org = await make_org(session)
    await add_member(session, ACTOR, org.id, MemberInput(phone=mobile_number(), email="a@b.no", role=Role.org_admin))
    _, _, emails = await _sent(session)
    assert "/portal/login" in emails[0]["text"] and "/portal/login" in emails[0]["html"]


async def test_without_an_address_only_the_sms_goes(session: AsyncSession, configure: Callable[..., None]) -> None:
    configure(email_provider="console")
    org = await make_org(session)
    phone = mobile_number()
    await add_member(session, ACTOR, org.id, MemberInput(phone=phone))
    sms, deliveries, emails = await _sent(session)
    assert sms == [phone] and deliveries == [] and emails == []


async def test_with_email_switched_off_only_the_sms_goes(session: AsyncSession, configure: Callable[..., None]) -> None:
    configure(email_provider="none")
    org = await make_org(session)
    phone = mobile_number()
    await add_member(session, ACTOR, org.id, MemberInput(phone=phone, email="kari@solbakken.no"))
    sms, deliveries, emails = await _sent(session)
    assert sms == [phone] and deliveries == [] and emails == []


async def test_a_resend_by_email_only_sends_no_sms(session: AsyncSession, configure: Callable[..., None]) -> None:
    configure(email_provider="console")
    org = await make_org(session)
    phone = mobile_number()
    membership = await add_member(session, ACTOR, org.id, MemberInput(phone=phone, email="kari@solbakken.no"))
    later = utcnow() + timedelta(minutes=11)
    resent = await resend_invite(session, ACTOR, org.id, membership.id, now=later, channel="email")
    assert resent.invite_count == 2
    sms, deliveries, _ = await _sent(session)
    assert sms == [phone]  # the add's, none from the resend
    assert [d.dedupe_key for d in deliveries] == [
        f"invite-email:{membership.id}:1",
        f"invite-email:{membership.id}:2",
    ]
    # SMS only: no further e-mail.
    await resend_invite(session, ACTOR, org.id, membership.id, now=later + timedelta(minutes=11), channel="sms")
    sms, deliveries, _ = await _sent(session)
    assert sms == [phone, phone] and len(deliveries) == 2


async def test_email_only_is_refused_without_an_address(session: AsyncSession, configure: Callable[..., None]) -> None:
    configure(email_provider="console")
    org = await make_org(session)
    membership = await add_member(session, ACTOR, org.id, MemberInput(phone=mobile_number()))
    with pytest.raises(Conflict):
        await resend_invite(session, ACTOR, org.id, membership.id, now=utcnow() + timedelta(hours=1), channel="email")
    sms, deliveries, _ = await _sent(session)
    assert len(sms) == 1 and deliveries == []


async def test_a_retried_invitation_sends_one_email(session: AsyncSession, configure: Callable[..., None]) -> None:
    configure(email_provider="console")
    org = await make_org(session)
    membership = await add_member(session, ACTOR, org.id, MemberInput(phone=mobile_number(), email="k@sol.no"))
    async with unit_of_work(session):
        await queue_invite_email(session, org, membership, "nb", portal=False)  # same membership, same count
    _, deliveries, emails = await _sent(session)
    assert len(deliveries) == 1 and len(emails) == 1


async def test_the_organisation_name_is_escaped_in_the_email(
    session: AsyncSession, configure: Callable[..., None]
) -> None:
    configure(email_provider="console")
    org = await make_org(session, legal_name="Sol & Sønn's <b>Borettslag</b>")
    await add_member(session, ACTOR, org.id, MemberInput(phone=mobile_number(), email="kari@solbakken.no"))
    _, _, [email] = await _sent(session)
    assert "Sol &amp; Sønn&#39;s" in email["html"]
    assert "<b>" not in email["html"] and "Sol & Sønn's" in email["subject"]
