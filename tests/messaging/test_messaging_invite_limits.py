"""Invitations cannot be turned into an SMS cannon: per organisation and number at most one SMS in 10
minutes (removing and re-adding the person does not reset it), per organisation a daily cap, and the
text frames the organisation's name so that it cannot pass for a bank."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.base import utcnow
from ladeportal.jobs.models import OutboxTask
from ladeportal.members import invites
from ladeportal.members.invites import InviteLimited, invite_text, queue_invite_sms_many, resend_invite
from ladeportal.members.services import MemberInput, add_member, remove_member
from ladeportal.messaging import org_limits
from ladeportal.settings import get_settings, load_settings
from tests.factories import ACTOR, make_org, mobile_number


async def _invites(session: AsyncSession) -> list[dict[str, Any]]:
    await session.commit()
    rows = (await session.scalars(select(OutboxTask).where(OutboxTask.kind == "sms.send"))).all()
    return [r.payload for r in rows if r.payload.get("purpose") == "invite"]


async def test_add_remove_add_sends_one_invitation(session: AsyncSession) -> None:
    org = await make_org(session)
    phone = mobile_number()
    for _ in range(4):
        membership = await add_member(session, ACTOR, org.id, MemberInput(phone=phone))
        await remove_member(session, ACTOR, org.id, membership.id)
    assert [sms["to"] for sms in await _invites(session)] == [phone]
    # Another organisation inviting the same person is not held back by the first one's history.
    other = await make_org(session)
    await add_member(session, ACTOR, other.id, MemberInput(phone=phone))
    assert len(await _invites(session)) == 2


async def test_resending_past_the_numbers_daily_limit_is_refused(session: AsyncSession) -> None:
    org = await make_org(session)
    phone = mobile_number()
    membership = await add_member(session, ACTOR, org.id, MemberInput(phone=phone))
    later = utcnow()
    for _ in range(2):
        later += timedelta(minutes=11)
        await resend_invite(session, ACTOR, org.id, membership.id, now=later)
    # Removed and added again: the membership's own 10-minute rule would allow it, the number's does not.
    await remove_member(session, ACTOR, org.id, membership.id)
    membership = await add_member(session, ACTOR, org.id, MemberInput(phone=phone, send_invite=False))
    with pytest.raises(InviteLimited):
        await resend_invite(session, ACTOR, org.id, membership.id, now=later + timedelta(minutes=11))
    assert len(await _invites(session)) == 3


async def test_an_organisation_has_a_daily_sms_cap(session: AsyncSession, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(org_limits, "get_settings", lambda: load_settings(org_sms_per_day=3))
    org = await make_org(session)
    for _ in range(2):
        await add_member(session, ACTOR, org.id, MemberInput(phone=mobile_number()))
    # The bulk path (member import) counts against the same cap.
    await queue_invite_sms_many(session, org, [(uuid.uuid4(), mobile_number(), "nb", 1) for _ in range(3)])
    await session.commit()
    assert len(await _invites(session)) == 3


@pytest.mark.parametrize("portal", [False, True])
def test_the_organisation_name_is_framed_and_cannot_pass_for_a_bank(portal: bool) -> None:
    name = "DNB: Kortet ditt er sperret! Ring +47 22 00 00 00 eller gå til https://dnb-sikker.example/login «»"
    text = invite_text(name, "nb", portal=portal)
    assert text.startswith("Ladeportal: «")
    quoted = text[len("Ladeportal: «") : text.index("»")]
    assert len(quoted) <= invites.ORG_NAME_IN_SMS
    assert not any(ch in quoted for ch in ":/@«»")
    assert "https://dnb-sikker" not in text and "dnb-sikker.example/login" not in text
    base = get_settings().public_url.rstrip("/")
    assert text.endswith(base + "/portal/login" if portal else base)
    assert invite_text("Solbakken Borettslag", "en").startswith("Ladeportal: «Solbakken Borettslag» has added you")
