"""Reminding an organisation's administrators and finance contacts to finish their Stripe set-up.

Two reminders, each sent once (payment_reminders holds what was sent, in the same transaction as
the queued messages): 14, 7 and 1 days before the invoicing switch date while the organisation is
not ready, and once per deadline when Stripe reports a requirement past due after the details were
submitted. Each admin (org_admin, finance) gets an SMS; and an e-mail too when the membership has an
address and the person chose e-mail for notices (their alert channel). Ready organisations get none.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.alerts.models import AlertPreference, Channel
from ladeportal.billing.account_status import PaymentsState, PaymentsStatus, requirement_labels, status_of
from ladeportal.billing.deadlines import days_left, local_today
from ladeportal.billing.models import InvoicingSwitchDate, PaymentReminder, StripeAccount
from ladeportal.db.base import utcnow
from ladeportal.db.engine import Database, unit_of_work
from ladeportal.errors import ValidationFailed
from ladeportal.i18n import N_, translations
from ladeportal.i18n.formatting import local_date, local_datetime
from ladeportal.members.invites import org_name_for_sms
from ladeportal.members.models import Membership, MembershipState, Role, User
from ladeportal.messaging.email_queue import email_enabled, queue_email
from ladeportal.messaging.email_render import LANGUAGES as EMAIL_LANGUAGES
from ladeportal.messaging.queue import queue_sms
from ladeportal.orgs.models import Organization
from ladeportal.settings import get_settings

log = logging.getLogger(__name__)

SWITCH_REMINDER_DAYS = (1, 7, 14)
EMAIL_TEMPLATE = "payments_reminder"
PAYMENTS_PATH = "/payments"  # the portal's Payments page (web/portal/pages/payments.py)
# An SMS names this many of the things Stripe asks for; the page shows them all.
SMS_NAMED = 2

SMS_SWITCH = N_(
    "Ladeportal, «%(org)s»: invoicing moves to Stripe on %(date)s, in %(days)s days. "
    "Finish setting up payments: %(url)s"
)
SMS_SWITCH_TOMORROW = N_(
    "Ladeportal, «%(org)s»: invoicing moves to Stripe tomorrow, %(date)s. Finish setting up payments: %(url)s"
)
SMS_PAST_DUE = N_(
    "Ladeportal, «%(org)s»: Stripe is still waiting for %(what)s. Payouts may stop until it is given: %(url)s"
)


@dataclass(frozen=True)
class Reminder:
    key: str  # "switch:2027-01-01:14", "past_due:2027-01-01T00:00:00+00:00"
    kind: str  # "switch" or "past_due"
    days_left: int | None = None


@dataclass(frozen=True)
class Recipient:
    membership_id: uuid.UUID
    phone: str | None
    email: str | None
    wants_email: bool
    language: str


def switch_reminder_day(left: int | None) -> int | None:
    """The reminder (14, 7 or 1 days before) due with `left` days to go: the nearest one not yet
    passed, so a job that was down on the day sends it late rather than never."""
    if left is None or left < 1:
        return None
    return next((day for day in SWITCH_REMINDER_DAYS if left <= day), None)


def due_reminders(status: PaymentsStatus, switch_date: date | None, left: int | None) -> list[Reminder]:
    if status.state == PaymentsState.ready:
        return []
    due = []
    day = switch_reminder_day(left)
    if switch_date is not None and day is not None:
        due.append(Reminder(f"switch:{switch_date.isoformat()}:{day}", "switch", left))
    if status.details_submitted and status.past_due:
        deadline = status.deadline.isoformat() if status.deadline else "none"
        due.append(Reminder(f"past_due:{deadline}", "past_due"))
    return due


async def _recipients(session: AsyncSession, org_id: uuid.UUID) -> list[Recipient]:
    rows = await session.execute(
        select(Membership.id, User.phone, Membership.email, AlertPreference.channel, User.language)
        .join(User, User.id == Membership.user_id)
        .outerjoin(AlertPreference, AlertPreference.membership_id == Membership.id)
        .where(
            Membership.organization_id == org_id,
            Membership.role.in_((Role.org_admin, Role.finance)),
            Membership.removed_at.is_(None),
            Membership.state != MembershipState.blocked,
            User.anonymised_at.is_(None),
        )
        .order_by(Membership.id)
    )
    return [
        Recipient(mid, phone, email, channel == Channel.email, language or "nb")
        for mid, phone, email, channel, language in rows
    ]


def payments_url(org_id: uuid.UUID) -> str:
    return f"{get_settings().public_url.rstrip('/')}/portal/o/{org_id}{PAYMENTS_PATH}"


def sms_text(
    org: Organization, reminder: Reminder, status: PaymentsStatus, switch_date: date | None, language: str
) -> str:
    gettext = translations(language).gettext
    values: dict[str, object] = {"org": org_name_for_sms(org.legal_name), "url": payments_url(org.id)}
    if reminder.kind == "switch":
        values.update(date=local_date(switch_date, language=language), days=reminder.days_left)
        return gettext(SMS_SWITCH_TOMORROW if reminder.days_left == 1 else SMS_SWITCH) % values
    labels = [gettext(label) for label in requirement_labels(status.past_due)]
    what = ", ".join(labels[:SMS_NAMED]) + (" …" if len(labels) > SMS_NAMED else "")
    # Mid-sentence: "Stripe is still waiting for a bank account for payouts".
    return gettext(SMS_PAST_DUE) % {**values, "what": what[:1].lower() + what[1:]}


async def _email(
    session: AsyncSession,
    org: Organization,
    person: Recipient,
    reminder: Reminder,
    status: PaymentsStatus,
    switch_date: date | None,
) -> None:
    if not (person.email and person.wants_email and email_enabled()):
        return
    language = person.language if person.language in EMAIL_LANGUAGES else "nb"
    gettext = translations(language).gettext
    try:
        await queue_email(
            session,
            person.email,
            EMAIL_TEMPLATE,
            language,
            {
                "organization_name": org.legal_name,
                "kind": reminder.kind,
                "days_left": reminder.days_left or 0,
                "switch_date": local_date(switch_date, language=language) if switch_date else "",
                "deadline": local_datetime(status.deadline, org.time_zone, language=language)
                if status.deadline
                else "",
                "due": [gettext(label) for label in requirement_labels(status.past_due or status.currently_due)],
                "url": payments_url(org.id),
            },
            organization_id=org.id,
            dedupe_key=f"payments:{org.id}:{reminder.key}:{person.membership_id}",
        )
    except ValidationFailed:
        # One unusable address must not keep the organisation's other admins from being reminded.
        log.warning("payments reminder to membership %s: e-mail address refused", person.membership_id)


async def remind_organization(session: AsyncSession, org_id: uuid.UUID, now: datetime) -> list[str]:
    """Queue the reminders due for one organisation at `now`; returns their keys (each only once)."""
    sent: list[str] = []
    async with unit_of_work(session):
        org = await session.get(Organization, org_id)
        if org is None:
            return sent
        row = await session.scalar(select(StripeAccount).where(StripeAccount.organization_id == org_id))
        switch_date = await session.scalar(
            select(InvoicingSwitchDate.switch_date).where(InvoicingSwitchDate.organization_id == org_id)
        )
        status = status_of(row)
        left = days_left(switch_date, org.time_zone, today=local_today(org.time_zone, now))
        reminders = due_reminders(status, switch_date, left)
        if not reminders:
            return sent
        people = await _recipients(session, org_id)
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        for reminder in reminders:
            claimed = await session.execute(
                insert(PaymentReminder)
                .values(organization_id=org_id, reminder=reminder.key, recipients=len(people), sent_at=now)
                .on_conflict_do_nothing(index_elements=["organization_id", "reminder"])
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                continue  # sent before
            for person in people:
                if person.phone:
                    await queue_sms(
                        session,
                        person.phone,
                        sms_text(org, reminder, status, switch_date, person.language),
                        purpose="payments",
                        dedupe_key=f"payments:{org.id}:{reminder.key}:{person.membership_id}",
                    )
                await _email(session, org, person, reminder, status, switch_date)
            sent.append(reminder.key)
    return sent


async def organizations_to_check(session: AsyncSession, now: datetime) -> list[uuid.UUID]:
    """Organisations that may be due a reminder: a switch date ahead, or Stripe asking for more."""
    soon = select(InvoicingSwitchDate.organization_id).where(InvoicingSwitchDate.switch_date >= now.date())
    asked = select(StripeAccount.organization_id).where(
        StripeAccount.state.in_((PaymentsState.action_needed.value, PaymentsState.restricted.value))
    )
    ids = await session.scalars(
        select(Organization.id)
        .where(Organization.archived_at.is_(None), or_(Organization.id.in_(soon), Organization.id.in_(asked)))
        .order_by(Organization.id)
    )
    found = list(ids)
    await session.commit()  # ends the read
    return found


async def run_reminders(db: Database, *, now: datetime | None = None) -> int:
    """One organisation at a time, each in its own transaction; returns how many reminders went out."""
    now = now or utcnow()
    async with db.session() as session:
        org_ids = await organizations_to_check(session, now)
    sent = 0
    for org_id in org_ids:
        try:
            async with db.session() as session:
                sent += len(await remind_organization(session, org_id, now))
        except Exception:
            log.exception("payments reminders of organisation %s not sent", org_id)
    return sent
