"""Telling the admins who asked for it, without spamming them.

An alert is told once it has been open for NOTIFY_AFTER (a charger that drops off and comes straight
back is not news), to each opted-in admin of its organisation at most once (alert_notifications), and
a person gets at most one message per PER_PERSON: alerts that come up meanwhile wait and go out
together in the next one. SMS pass the organisation's SMS limits (messaging/org_limits.py); an alert
the limits held back is recorded as such and not tried again, the dashboard still shows it.
Messages are queued through the outbox in the same transaction that records them as told.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.alerts import texts
from ladeportal.alerts.listing import AlertView, alerts_by_id
from ladeportal.alerts.models import Alert, AlertNotification, AlertPreference, Channel
from ladeportal.db.engine import unit_of_work
from ladeportal.errors import ValidationFailed
from ladeportal.i18n.formatting import local_datetime
from ladeportal.members.invites import org_name_for_sms
from ladeportal.members.models import Membership, MembershipState, Role, User
from ladeportal.messaging.email_queue import email_enabled, queue_email
from ladeportal.messaging.email_render import LANGUAGES as EMAIL_LANGUAGES
from ladeportal.messaging.org_limits import admit_org_sms
from ladeportal.messaging.queue import queue_sms
from ladeportal.orgs.models import Organization
from ladeportal.settings import get_settings

NOTIFY_AFTER = timedelta(minutes=5)
PER_PERSON = timedelta(minutes=15)
EMAIL_TEMPLATE = "alerts"
# An e-mail names this many alerts (a first message after opting in may find a backlog); the link shows all.
EMAIL_NAMED = 25
SENT = "sent"
LIMITED = "limited"
EMAIL_OFF = "email_off"  # the platform sends no e-mail (LADEPORTAL_EMAIL_PROVIDER=none)
BAD_ADDRESS = "bad_address"


@dataclass(frozen=True, slots=True)
class Recipient:
    membership_id: uuid.UUID
    channel: Channel
    phone: str | None
    email: str | None
    language: str
    last_notified_at: datetime | None


@dataclass(frozen=True, slots=True)
class Told:
    membership_id: uuid.UUID
    channel: Channel
    alert_ids: list[int]
    outcome: str


async def _recipients(session: AsyncSession, org_id: uuid.UUID) -> list[Recipient]:
    rows = await session.execute(
        select(
            Membership.id,
            AlertPreference.channel,
            User.phone,
            Membership.email,
            User.language,
            AlertPreference.last_notified_at,
        )
        .join(AlertPreference, AlertPreference.membership_id == Membership.id)
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.organization_id == org_id,
            AlertPreference.organization_id == org_id,
            Membership.role == Role.org_admin,
            Membership.removed_at.is_(None),
            Membership.state != MembershipState.blocked,
            User.anonymised_at.is_(None),
            AlertPreference.channel != Channel.off,
        )
        .order_by(Membership.id)
    )
    return [
        Recipient(mid, Channel(channel), phone, email, language or "nb", last)
        for mid, channel, phone, email, language, last in rows
    ]


async def _untold(session: AsyncSession, org_id: uuid.UUID, membership_id: uuid.UUID, now: datetime) -> list[int]:
    told = select(AlertNotification.alert_id).where(AlertNotification.membership_id == membership_id)
    return list(
        await session.scalars(
            select(Alert.id)
            .where(
                Alert.organization_id == org_id,
                Alert.resolved_at.is_(None),
                Alert.detected_at <= now - NOTIFY_AFTER,
                Alert.id.not_in(told),
            )
            .order_by(Alert.opened_at, Alert.id)
        )
    )


def _dedupe_key(membership_id: uuid.UUID, alert_ids: list[int]) -> str:
    # The same person and the same alerts make the same message: a repeated run queues nothing new.
    digest = hashlib.sha256(",".join(map(str, alert_ids)).encode()).hexdigest()[:32]
    return f"alerts:{membership_id}:{digest}"


def portal_url(org_id: uuid.UUID, path: str = "/") -> str:
    return f"{get_settings().public_url.rstrip('/')}/portal/o/{org_id}{path}"


async def _send_sms(
    session: AsyncSession, org: Organization, person: Recipient, alerts: list[AlertView], now: datetime
) -> str:
    if not person.phone:
        return LIMITED
    [admitted] = await admit_org_sms(session, org.id, [person.phone], "alert", now)
    if not admitted:
        return LIMITED
    text = texts.sms_text(org_name_for_sms(org.legal_name), alerts, person.language, portal_url(org.id))
    await queue_sms(
        session,
        person.phone,
        text,
        purpose="alert",
        dedupe_key=_dedupe_key(person.membership_id, [a.id for a in alerts]),
    )
    return SENT


async def _send_email(session: AsyncSession, org: Organization, person: Recipient, alerts: list[AlertView]) -> str:
    if not email_enabled():
        return EMAIL_OFF
    language = person.language if person.language in EMAIL_LANGUAGES else "nb"
    items = [
        {
            "kind": a.kind,
            "charger": a.charger_label or "",
            "site": a.site_name or "",
            "connector": a.connector_number,
            "session": a.session_id,
            "detail": a.detail or "",
            "url": portal_url(org.id, a.path),
            "since": local_datetime(a.opened_at, a.time_zone, language=language),
        }
        for a in alerts[:EMAIL_NAMED]
    ]
    try:
        await queue_email(
            session,
            person.email or "",
            EMAIL_TEMPLATE,
            language,
            {
                "organization_name": org.legal_name,
                "alerts": items,
                "more": len(alerts) - len(items),
                "dashboard_url": portal_url(org.id),
            },
            organization_id=org.id,
            dedupe_key=_dedupe_key(person.membership_id, [a.id for a in alerts]),
        )
    except ValidationFailed:
        # The address is checked before anything is written; one unusable address must not keep the
        # organisation's other admins from being told.
        return BAD_ADDRESS
    return SENT


async def notify_admins(session: AsyncSession, org_id: uuid.UUID, now: datetime) -> list[Told]:
    """Queue the messages that are due for the organisation's opted-in admins at `now`."""
    told: list[Told] = []
    async with unit_of_work(session):
        org = await session.get(Organization, org_id)
        if org is None:
            return told
        for person in await _recipients(session, org_id):
            if person.channel == Channel.email and not person.email:
                continue  # the address was removed since the choice; nothing to send to
            if person.last_notified_at is not None and now - person.last_notified_at < PER_PERSON:
                continue  # what is due now waits for the next message and goes out with it
            alert_ids = await _untold(session, org_id, person.membership_id, now)
            if not alert_ids:
                continue
            alerts = await alerts_by_id(session, org_id, org.time_zone, alert_ids)
            if person.channel == Channel.sms:
                outcome = await _send_sms(session, org, person, alerts, now)
            else:
                outcome = await _send_email(session, org, person, alerts)
            await session.execute(
                insert(AlertNotification),
                [
                    {
                        "alert_id": a.id,
                        "membership_id": person.membership_id,
                        "channel": person.channel,
                        "outcome": outcome,
                        "notified_at": now,
                    }
                    for a in alerts
                ],
            )
            preference = await session.get(AlertPreference, person.membership_id)
            if preference is not None and outcome == SENT:
                preference.last_notified_at = now
            told.append(Told(person.membership_id, person.channel, [a.id for a in alerts], outcome))
    return told
