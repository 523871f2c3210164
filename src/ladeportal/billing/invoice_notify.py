"""Telling a member that an invoice is ready: an SMS with the hosted invoice link, and an e-mail when the
organisation knows the member's address, in the member's language.

Called in the transaction that stores the finalized invoice: `Invoice.notified_at` is set in the same
transaction as the queued messages (and their dedupe keys are the invoice's), so a repeated step never
sends a second message and a rolled-back one sends none.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from babel.dates import format_date
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.billing.invoice_models import Invoice
from ladeportal.db.base import utcnow
from ladeportal.errors import ValidationFailed
from ladeportal.i18n import BABEL_LOCALES, N_, translations
from ladeportal.i18n.formatting import local_date, money
from ladeportal.members.invites import can_email_address, org_name_for_sms
from ladeportal.members.models import Membership, User
from ladeportal.messaging.email_queue import queue_email
from ladeportal.messaging.queue import queue_sms
from ladeportal.orgs.models import Organization

log = logging.getLogger(__name__)

EMAIL_TEMPLATE = "invoice"
SMS_LANGUAGES = ("nb", "en")
SMS_INVOICE = N_("%(org)s: invoice for %(month)s, %(amount)s, due %(date)s: %(url)s")


@dataclass(frozen=True)
class InvoiceMessage:
    """What the SMS and the e-mail say, in one language."""

    organization_name: str
    member_name: str
    month: str
    amount: str
    due_date: str
    url: str
    number: str


def month_name(month: date, language: str) -> str:
    """ "oktober 2026" / "October 2026"."""
    return format_date(month, "LLLL y", locale=BABEL_LOCALES.get(language, "nb_NO"))


def message_for(invoice: Invoice, org: Organization, member_name: str, language: str) -> InvoiceMessage:
    return InvoiceMessage(
        organization_name=org.legal_name,
        member_name=member_name,
        month=month_name(invoice.period_month, language),
        amount=money(invoice.total_minor, invoice.currency, language),
        due_date=local_date(invoice.due_date, language=language),
        url=invoice.hosted_url or "",
        number=invoice.number or "",
    )


def sms_text(message: InvoiceMessage, language: str) -> str:
    gettext = translations(language).gettext
    return gettext(SMS_INVOICE) % {
        "org": org_name_for_sms(message.organization_name),
        "month": message.month,
        "amount": message.amount,
        "date": message.due_date,
        "url": message.url,
    }


async def notify_member(session: AsyncSession, invoice: Invoice) -> bool:
    """Queue the member's SMS (and e-mail) about `invoice` in the caller's transaction, once: False when
    it was done before. The invoice must be finalized (it has its hosted link)."""
    if invoice.hosted_url is None:
        raise ValueError(f"invoice {invoice.id} has no hosted link yet")
    claimed = await session.execute(
        update(Invoice)
        .where(Invoice.id == invoice.id, Invoice.notified_at.is_(None))
        .values(notified_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return False
    org = await session.get(Organization, invoice.organization_id)
    row = (
        await session.execute(
            select(Membership.name, Membership.email, User.phone, User.language, User.anonymised_at)
            .join(User, User.id == Membership.user_id)
            .where(Membership.id == invoice.membership_id)
        )
    ).one_or_none()
    if org is None or row is None:
        return True
    name, email, phone, language, anonymised_at = row
    language = language or "nb"
    if anonymised_at is not None:
        return True
    if phone:
        sms_language = language if language in SMS_LANGUAGES else "nb"
        message = message_for(invoice, org, name or "", sms_language)
        await queue_sms(
            session, phone, sms_text(message, sms_language), purpose="invoice", dedupe_key=f"invoice-sms:{invoice.id}"
        )
    if email and can_email_address(email):
        await _email(session, invoice, org, name or "", email, language)
    return True


async def _email(
    session: AsyncSession, invoice: Invoice, org: Organization, name: str, address: str, language: str
) -> None:
    from ladeportal.messaging.email_render import LANGUAGES as EMAIL_LANGUAGES

    language = language if language in EMAIL_LANGUAGES else "nb"
    message = message_for(invoice, org, name, language)
    try:
        await queue_email(
            session,
            address,
            EMAIL_TEMPLATE,
            language,
            {
                "organization_name": message.organization_name,
                "member_name": message.member_name,
                "month": message.month,
                "amount": message.amount,
                "due_date": message.due_date,
                "url": message.url,
                "number": message.number,
            },
            organization_id=org.id,
            dedupe_key=f"invoice-mail:{invoice.id}",
        )
    except ValidationFailed:
        # An address the organisation typed wrong must not keep the invoice from being sent by SMS.
        log.warning("invoice %s: e-mail address of membership %s refused", invoice.id, invoice.membership_id)
