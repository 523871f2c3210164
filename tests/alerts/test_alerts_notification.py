"""Admins who opted in are told through the outbox: once per alert, after it has been open a while, at
most one message per person per 15 minutes with everything new grouped in it, in their language, by
SMS (within the organisation's SMS limits) or e-mail. Admins of another organisation, other roles and
admins who left the default (off) are never told."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.alerts import notification
from ladeportal.alerts.detection import detect_alerts
from ladeportal.alerts.models import AlertNotification, AlertPreference, Channel
from ladeportal.alerts.notification import BAD_ADDRESS, LIMITED, NOTIFY_AFTER, PER_PERSON, notify_admins
from ladeportal.alerts.preferences import set_channel
from ladeportal.chargers.models import ChargePoint, Connector
from ladeportal.db.base import utcnow
from ladeportal.jobs.models import OutboxTask
from ladeportal.members.models import Membership, Role, User
from ladeportal.messaging import org_limits
from ladeportal.messaging.email_models import EmailDelivery
from ladeportal.orgs.models import Organization
from tests.factories import make_member, make_org, make_site, mobile_number
from tests.portal.ocpp_rows import charger


def _later() -> datetime:
    # An hour on: the invitation SMS each new admin got is outside the SMS limits' 10-minute window.
    return utcnow() + timedelta(hours=1)


async def _admin(
    session: AsyncSession,
    org: Organization,
    channel: Channel,
    *,
    role: Role = Role.org_admin,
    email: str | None = None,
    language: str = "nb",
) -> tuple[Membership, str]:
    phone = mobile_number()
    membership = await make_member(session, org, phone, role=role)
    await session.execute(update(Membership).where(Membership.id == membership.id).values(email=email))
    await session.execute(update(User).where(User.id == membership.user_id).values(language=language))
    await session.commit()
    if role == Role.org_admin:
        await set_channel(session, org.id, membership.user_id, channel)
    else:  # a stored choice of someone who is not (or no longer) an admin must not count
        session.add(AlertPreference(membership_id=membership.id, organization_id=org.id, channel=channel))
        await session.commit()
    return membership, phone


async def _sms(session: AsyncSession) -> list[dict[str, Any]]:
    rows = list(
        await session.scalars(
            select(OutboxTask.payload)
            .where(OutboxTask.kind == "sms.send", OutboxTask.dedupe_key.like("alerts:%"))
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


async def _offline(session: AsyncSession, org: Organization, name: str, now: datetime) -> None:
    site = await make_site(session, org, name=f"Garasje {name}")
    await charger(session, site, f"CP-{name.replace(' ', '-')}", seen=now - timedelta(hours=1), name=name)


async def test_opted_in_admins_of_the_organisation_get_one_message_per_alert_through_the_outbox(
    session: AsyncSession,
    console_email: None,
) -> None:
    now = _later()
    org, other = await make_org(session, legal_name="Alfa Borettslag"), await make_org(session, legal_name="Beta AS")
    _, sms_phone = await _admin(session, org, Channel.sms)
    await _admin(session, org, Channel.email, email="styret@alfa.no", language="en")
    await _admin(session, org, Channel.off, email="stille@alfa.no")
    _, finance_phone = await _admin(session, org, Channel.sms, role=Role.finance)
    _, outsider_phone = await _admin(session, other, Channel.sms)
    await _offline(session, org, "Plass 3", now)
    await _offline(session, other, "Beta 1", now)
    for o in (org, other):
        await detect_alerts(session, o.id, now)

    assert await notify_admins(session, org.id, now + NOTIFY_AFTER - timedelta(seconds=1)) == []
    told = await notify_admins(session, org.id, now + NOTIFY_AFTER)
    assert sorted(t.channel for t in told) == [Channel.email, Channel.sms]

    [sms] = await _sms(session)
    assert sms["to"] == sms_phone and sms["purpose"] == "alert"
    assert sms["text"].startswith("Ladeportal, «Alfa Borettslag»: Lader frakoblet: Plass 3 (siden ")
    assert f"/portal/o/{org.id}/" in sms["text"] and "Beta" not in sms["text"]

    [mail] = await _emails(session)
    delivery = await session.get(EmailDelivery, mail["delivery_id"])
    assert delivery is not None and delivery.recipient == "styret@alfa.no" and delivery.language == "en"
    assert mail["subject"] == "Alert from Alfa Borettslag: Charger offline"
    assert "Charger offline: Plass 3 (Garasje Plass 3), since" in mail["text"]
    assert f"/portal/o/{org.id}/chargers/" in mail["text"] and "Plass 3" in mail["html"]

    # Re-running tells nobody again.
    assert await notify_admins(session, org.id, now + PER_PERSON * 2) == []
    assert len(await _sms(session)) == 1 and len(await _emails(session)) == 1

    # The other organisation's admin hears about their own charger only; nobody of the first one does.
    await notify_admins(session, other.id, now + NOTIFY_AFTER)
    texts = {s["to"]: s["text"] for s in await _sms(session)}
    assert set(texts) == {sms_phone, outsider_phone} and finance_phone not in texts
    assert "Beta 1" in texts[outsider_phone] and "Plass 3" not in texts[outsider_phone]


async def test_alerts_that_come_up_within_15_minutes_wait_and_go_out_together(session: AsyncSession) -> None:
    now = _later()
    org = await make_org(session, legal_name="Gamma Borettslag")
    membership, _ = await _admin(session, org, Channel.sms)
    await _offline(session, org, "Plass 1", now)
    await detect_alerts(session, org.id, now)
    assert len(await notify_admins(session, org.id, now + NOTIFY_AFTER)) == 1

    later = now + timedelta(minutes=7)
    await _offline(session, org, "Plass 2", later)
    await _offline(session, org, "Plass 3", later)
    # A third charger drops out and comes back before anyone needs to know.
    await _offline(session, org, "Plass 4", later)
    await detect_alerts(session, org.id, later)
    flapping = await session.scalar(select(ChargePoint.id).where(ChargePoint.name == "Plass 4"))
    await session.execute(update(ChargePoint).where(ChargePoint.id == flapping).values(last_seen_at=later))
    await session.commit()
    await detect_alerts(session, org.id, later + timedelta(minutes=2))

    # Due (open 5 minutes) but the person was told 12 minutes ago: they wait for the window.
    assert await notify_admins(session, org.id, later + NOTIFY_AFTER) == []
    [grouped] = await notify_admins(session, org.id, now + NOTIFY_AFTER + PER_PERSON)
    assert len(grouped.alert_ids) == 2
    texts = [s["text"] for s in await _sms(session)]
    assert len(texts) == 2 and texts[1].startswith("Ladeportal, «Gamma Borettslag»: 2 nye varsler: ")
    assert "Plass 2" in texts[1] and "Plass 3" in texts[1] and "Plass 4" not in texts[1]
    told = list(await session.scalars(select(AlertNotification.membership_id)))
    await session.commit()
    assert told == [membership.id] * 3


async def test_an_admin_who_chose_email_without_an_address_or_left_it_off_gets_nothing(
    session: AsyncSession,
    console_email: None,
) -> None:
    now = _later()
    org = await make_org(session)
    membership, _ = await _admin(session, org, Channel.email, email="a@b.no")
    await session.execute(update(Membership).where(Membership.id == membership.id).values(email=None))
    await session.commit()
    await _offline(session, org, "X1", now)
    await detect_alerts(session, org.id, now)
    assert await notify_admins(session, org.id, now + NOTIFY_AFTER) == []
    assert await _emails(session) == []


async def test_sms_alerts_respect_the_organisations_sms_limits(
    session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = _later()
    org = await make_org(session)
    await _admin(session, org, Channel.sms)
    # Alerts have a budget of their own per number (the admin's invitation does not count against it);
    # here it is two a day.
    monkeypatch.setitem(org_limits.PER_RECIPIENT, "alert", ((timedelta(minutes=10), 1), (timedelta(hours=24), 2)))
    outcomes = []
    for n in range(3):
        at = now + n * PER_PERSON
        await _offline(session, org, f"Lim {n}", at)
        await detect_alerts(session, org.id, at)
        [told] = await notify_admins(session, org.id, at + NOTIFY_AFTER)
        outcomes.append(told.outcome)
    assert outcomes == ["sent", "sent", LIMITED]
    assert len(await _sms(session)) == 2
    limited = await session.scalar(select(AlertNotification.outcome).where(AlertNotification.outcome == LIMITED))
    assert limited == LIMITED


async def test_an_invitation_does_not_use_up_the_alert_budget(session: AsyncSession) -> None:
    now = _later()
    org = await make_org(session)
    await _admin(session, org, Channel.sms)
    outcomes = []
    # Three alerts on the day of the admin's invitation: the invitation's limits are its own.
    for n in range(3):
        at = now + n * PER_PERSON
        await _offline(session, org, f"Own {n}", at)
        await detect_alerts(session, org.id, at)
        [told] = await notify_admins(session, org.id, at + NOTIFY_AFTER)
        outcomes.append(told.outcome)
    assert outcomes == ["sent", "sent", "sent"]


async def test_a_faulted_connector_is_named_with_its_number_in_english(session: AsyncSession) -> None:
    now = _later()
    org = await make_org(session, legal_name="Delta AS")
    await _admin(session, org, Channel.sms, language="en")
    site = await make_site(session, org)
    cp = await charger(session, site, "F-1", seen=now, statuses=("Available", "Faulted"), name="Bay 7")
    await session.execute(update(Connector).where(Connector.charge_point_id == cp).values(status_changed_at=now))
    await session.commit()
    await detect_alerts(session, org.id, now)
    await notify_admins(session, org.id, now + NOTIFY_AFTER)
    [sms] = await _sms(session)
    assert sms["text"].startswith("Ladeportal, «Delta AS»: Connector faulted: Bay 7, connector 2 (since ")


async def test_an_unusable_address_does_not_keep_the_other_admins_from_being_told(
    session: AsyncSession,
    console_email: None,
) -> None:
    now = _later()
    org = await make_org(session)
    broken, _ = await _admin(session, org, Channel.email, email="styret@alfa.no")
    await session.execute(update(Membership).where(Membership.id == broken.id).values(email="styret@alfa"))
    await session.commit()
    await _admin(session, org, Channel.email, email="kasserer@alfa.no")
    await _offline(session, org, "Addr 1", now)
    await detect_alerts(session, org.id, now)
    told = await notify_admins(session, org.id, now + NOTIFY_AFTER)
    assert sorted(t.outcome for t in told) == [BAD_ADDRESS, "sent"]
    [mail] = await _emails(session)
    delivery = await session.get(EmailDelivery, mail["delivery_id"])
    assert delivery is not None and delivery.recipient == "kasserer@alfa.no"


async def test_a_backlog_is_named_up_to_a_limit_and_counted_in_full(
    session: AsyncSession,
    console_email: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(notification, "EMAIL_NAMED", 2)
    now = _later()
    org = await make_org(session, legal_name="Epsilon Borettslag")
    await _admin(session, org, Channel.email, email="styret@epsilon.no")
    for n in range(3):
        await _offline(session, org, f"Back {n}", now)
    await detect_alerts(session, org.id, now)
    [told] = await notify_admins(session, org.id, now + NOTIFY_AFTER)
    assert len(told.alert_ids) == 3
    [mail] = await _emails(session)
    assert mail["subject"] == "3 varsler fra Epsilon Borettslag"
    assert mail["text"].count("Lader frakoblet: Back") == 2 and "... og 1 til." in mail["text"]
