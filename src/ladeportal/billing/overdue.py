"""After the due date: reminders to the member, and charging refused while an invoice is overdue.

A periodic job looks at open invoices past their due date. For each of the organisation's
`reminder_days` (days after the due date, in the organisation's time zone) an SMS, and an e-mail when the
organisation knows the member's address, goes out with the hosted invoice link — once: the
`invoice_reminders` row ("due+3") is written in the same transaction as the queued messages, whose
dedupe keys are the reminder's. When the job was away and several reminders fell due, only the latest
is sent and the earlier ones are recorded as passed. A paid (or void) invoice gets no reminder.

Blocking (`overdue_block`, in `overdue_block.py` so the access decision imports only tables) is asked by
`members.access.decide_access` at every Authorize; a paid invoice lifts it at the next decision. The
chargers' local authorisation lists show such a member's tags as Blocked: the job bumps the
organisation's list when a member becomes blocked ("blocked" reminder) and again when that invoice is
settled ("unblocked"), so offline chargers follow within the job's period.
"""

from __future__ import annotations

import logging
import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from ladeportal.billing.invoice_models import BillingSettings, Invoice, InvoiceReminder, InvoiceState
from ladeportal.billing.invoice_notify import month_name
from ladeportal.billing.overdue_block import UNPAID_STATES, overdue_block, overdue_members
from ladeportal.db.base import utcnow
from ladeportal.db.engine import Database, unit_of_work
from ladeportal.errors import ValidationFailed
from ladeportal.i18n import N_, translations
from ladeportal.i18n.formatting import local_date, money
from ladeportal.jobs.periodic import periodic
from ladeportal.members.invites import can_email_address, org_name_for_sms
from ladeportal.members.local_list import local_list_changed
from ladeportal.members.models import Membership, User
from ladeportal.messaging.email_queue import queue_email
from ladeportal.messaging.queue import queue_sms
from ladeportal.orgs.models import Organization

__all__ = ["overdue_block", "overdue_members", "run_overdue", "send_reminders", "update_blocks"]

log = logging.getLogger(__name__)

DEFAULT_REMINDER_DAYS = (3, 10)
EMAIL_TEMPLATE = "invoice_reminder"
SMS_LANGUAGES = ("nb", "en")
SMS_REMINDER = N_("%(org)s: reminder: invoice %(number)s of %(amount)s was due %(date)s. Pay here: %(url)s")
SMS_BLOCKED = N_("%(org)s: charging is paused until invoice %(number)s of %(amount)s is paid: %(url)s")
BATCH = 500
BLOCKED = "blocked"
UNBLOCKED = "unblocked"


def _today(time_zone: str | None, now: datetime) -> date:
    return now.astimezone(ZoneInfo(time_zone or "Europe/Oslo")).date()


def due_reminders(reminder_days: list[int] | tuple[int, ...] | None, due: date, today: date) -> list[str]:
    """The reminders ("due+3", ...) that have fallen due by `today`, oldest first."""
    days = sorted({int(d) for d in (DEFAULT_REMINDER_DAYS if reminder_days is None else reminder_days) if int(d) >= 0})
    overdue = (today - due).days
    return [f"due+{d}" for d in days if overdue >= d and overdue > 0]


async def send_reminders(db: Database, now: datetime | None = None) -> int:
    """Queue the reminders that fell due; returns how many messages were queued (each reminder once)."""
    now = now or utcnow()
    sent = 0
    after: uuid.UUID | None = None
    while True:
        async with db.session() as session:
            query = (
                select(Invoice.id, Invoice.due_date, Organization.time_zone, BillingSettings.reminder_days)
                .join(Organization, Organization.id == Invoice.organization_id)
                .outerjoin(BillingSettings, BillingSettings.organization_id == Invoice.organization_id)
                .where(Invoice.state == InvoiceState.open, Invoice.due_date < now.date())
                .order_by(Invoice.id)
                .limit(BATCH)
            )
            if after is not None:
                query = query.where(Invoice.id > after)
            rows = (await session.execute(query)).all()
            await session.commit()
        for invoice_id, due, time_zone, reminder_days in rows:
            wanted = due_reminders(reminder_days, due, _today(time_zone, now)) if due is not None else []
            if wanted and await _remind(db, invoice_id, wanted):
                sent += 1
        if len(rows) < BATCH:
            return sent
        after = rows[-1][0]


async def _remind(db: Database, invoice_id: uuid.UUID, wanted: list[str]) -> bool:
    async with db.session() as session, unit_of_work(session):
        invoice = await session.scalar(select(Invoice).where(Invoice.id == invoice_id).with_for_update())
        if invoice is None or invoice.state != InvoiceState.open:
            return False  # paid or voided since it was listed
        done = set(
            await session.scalars(select(InvoiceReminder.reminder).where(InvoiceReminder.invoice_id == invoice_id))
        )
        new = [r for r in wanted if r not in done]
        if not new:
            return False
        for reminder in new:
            session.add(InvoiceReminder(invoice_id=invoice_id, reminder=reminder))
        await session.flush()
        return await _message(session, invoice, new[-1], SMS_REMINDER)


async def _message(session: AsyncSession, invoice: Invoice, reminder: str, sms: str) -> bool:
    """The SMS (and e-mail) about `invoice`, deduplicated by the reminder's key."""
    org = await session.get(Organization, invoice.organization_id)
    row = (
        await session.execute(
            select(Membership.name, Membership.email, User.phone, User.language, User.anonymised_at)
            .join(User, User.id == Membership.user_id)
            .where(Membership.id == invoice.membership_id)
        )
    ).one_or_none()
    if org is None or row is None or row.anonymised_at is not None:
        return False
    language = row.language or "nb"
    left = invoice.total_minor - invoice.amount_paid_minor - invoice.amount_credited_minor
    key = f"invoice-reminder:{invoice.id}:{reminder}"
    queued = False
    if row.phone:
        sms_language = language if language in SMS_LANGUAGES else "nb"
        text = translations(sms_language).gettext(sms) % {
            "org": org_name_for_sms(org.legal_name),
            "number": invoice.number or "",
            "amount": money(left, invoice.currency, sms_language),
            "date": local_date(invoice.due_date, language=sms_language),
            "url": invoice.hosted_url or "",
        }
        await queue_sms(session, row.phone, text, purpose="invoice_reminder", dedupe_key=f"{key}:sms")
        queued = True
    if row.email and can_email_address(row.email):
        queued = await _email(session, invoice, org, row.name or "", row.email, language, left, reminder, key) or queued
    return queued


async def _email(
    session: AsyncSession,
    invoice: Invoice,
    org: Organization,
    name: str,
    address: str,
    language: str,
    left: int,
    reminder: str,
    key: str,
) -> bool:
    from ladeportal.messaging.email_render import LANGUAGES as EMAIL_LANGUAGES

    language = language if language in EMAIL_LANGUAGES else "nb"
    try:
        await queue_email(
            session,
            address,
            EMAIL_TEMPLATE,
            language,
            {
                "organization_name": org.legal_name,
                "member_name": name,
                "month": month_name(invoice.period_month, language),
                "amount": money(left, invoice.currency, language),
                "due_date": local_date(invoice.due_date, language=language),
                "url": invoice.hosted_url or "",
                "number": invoice.number or "",
                "blocked": reminder == BLOCKED,
            },
            organization_id=org.id,
            dedupe_key=f"{key}:mail",
        )
    except ValidationFailed:
        log.warning("invoice %s: e-mail address of membership %s refused", invoice.id, invoice.membership_id)
        return False
    return True


async def update_blocks(db: Database, now: datetime | None = None) -> int:
    """Tell members who became blocked (once per invoice) and bump the local lists of organisations whose
    blocked members changed: newly blocked, or their invoice settled since. Returns the lists bumped."""
    now = now or utcnow()
    async with db.session() as session:
        blocking = (
            await session.execute(
                select(BillingSettings.organization_id, BillingSettings.block_after_days).where(
                    BillingSettings.block_after_days.is_not(None)
                )
            )
        ).all()
        # Newly blocked: unpaid invoices overdue by more than the organisation's days, not yet marked.
        candidates: list[tuple[uuid.UUID, uuid.UUID]] = []
        for org_id, days in blocking:
            found = await session.scalars(
                select(Invoice.id).where(
                    Invoice.organization_id == org_id,
                    Invoice.state.in_(UNPAID_STATES),
                    Invoice.due_date < now.date() - timedelta(days=int(days or 0)),
                    ~select(InvoiceReminder.invoice_id)
                    .where(InvoiceReminder.invoice_id == Invoice.id, InvoiceReminder.reminder == BLOCKED)
                    .exists(),
                )
            )
            candidates += [(invoice_id, org_id) for invoice_id in found]
        # Lifted: invoices marked "blocked" that are settled now and not yet marked "unblocked".
        unblocked = aliased(InvoiceReminder)
        lifted = (
            await session.execute(
                select(Invoice.id, Invoice.organization_id)
                .join(InvoiceReminder, InvoiceReminder.invoice_id == Invoice.id)
                .where(
                    InvoiceReminder.reminder == BLOCKED,
                    Invoice.state.not_in(UNPAID_STATES),
                    ~select(unblocked.invoice_id)
                    .where(unblocked.invoice_id == Invoice.id, unblocked.reminder == UNBLOCKED)
                    .exists(),
                )
            )
        ).all()
        await session.commit()
    bumped: set[uuid.UUID] = set()
    for invoice_id, org_id in candidates:
        async with db.session() as session, unit_of_work(session):
            invoice = await session.scalar(select(Invoice).where(Invoice.id == invoice_id).with_for_update())
            if invoice is None or invoice.state not in UNPAID_STATES:
                continue
            session.add(InvoiceReminder(invoice_id=invoice_id, reminder=BLOCKED))
            await session.flush()
            await _message(session, invoice, BLOCKED, SMS_BLOCKED)
            if org_id not in bumped:
                await local_list_changed(session, org_id)
                bumped.add(org_id)
    for invoice_id, org_id in lifted:
        async with db.session() as session, unit_of_work(session):
            session.add(InvoiceReminder(invoice_id=invoice_id, reminder=UNBLOCKED))
            if org_id not in bumped:
                await local_list_changed(session, org_id)
                bumped.add(org_id)
    return len(bumped)


async def run_overdue(db: Database, now: datetime | None = None) -> tuple[int, int]:
    now = now or utcnow()
    return await send_reminders(db, now), await update_blocks(db, now)


@periodic("billing.invoice_overdue", every=timedelta(hours=1))
async def invoice_overdue_job(db: Database) -> None:
    reminded, lists = await run_overdue(db)
    if reminded or lists:
        log.info("invoicing: %d reminders queued, %d local lists bumped", reminded, lists)
