"""Crediting a member's invoice, whole or in part, by the organisation's administrator or finance contact.

An open invoice gets a credit note: Stripe lowers what is still due. A paid invoice gets its money back
on the card: a refund of the invoice's payment, recorded by a credit note that links it. The `Credit`
row (with the reason, in the audit trail) is committed before Stripe is asked, and its id is the
idempotency key of each call, so a repeated step gets Stripe's first answer instead of a second credit;
no transaction is open while Stripe answers. The amount still creditable counts pending credits too, so
two finance users crediting at once cannot credit more than the invoice's total.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.billing.invoice_models import Credit, CreditKind, CreditState, Invoice, InvoiceState
from ladeportal.billing.invoice_settings import require_billing_staff
from ladeportal.billing.stripe_gateway import PaymentsUnavailable, StripeGateway, gateway
from ladeportal.db.base import utcnow
from ladeportal.db.engine import Database, unit_of_work
from ladeportal.errors import Conflict, DomainError, NotFound, ValidationFailed
from ladeportal.jobs.periodic import periodic
from ladeportal.platform.audit import Actor, record

log = logging.getLogger(__name__)

MAX_REASON = 500
RESUME_AFTER = timedelta(minutes=10)
# Which kind of credit each invoice state takes: what is owed is lowered, what was paid is given back.
KIND_FOR_STATE = {
    InvoiceState.open: CreditKind.credit_note,
    InvoiceState.uncollectible: CreditKind.credit_note,
    InvoiceState.paid: CreditKind.refund,
}


def _not_found() -> NotFound:
    return NotFound("No such invoice.", code="invoicing.invoice_not_found")


async def creditable_minor(session: AsyncSession, invoice: Invoice) -> int:
    """What may still be credited: the total less the credits done or under way."""
    taken = await session.scalar(
        select(func.coalesce(func.sum(Credit.amount_minor), 0)).where(
            Credit.invoice_id == invoice.id, Credit.state != CreditState.failed
        )
    )
    return invoice.total_minor - int(taken or 0)


def _clean_reason(reason: str) -> str:
    cleaned = " ".join((reason or "").split())
    if not cleaned or len(cleaned) > MAX_REASON:
        raise ValidationFailed(
            f"Give a reason of 1 to {MAX_REASON} characters.",
            code="invoicing.credit_reason",
            params={"max": MAX_REASON},
        )
    return cleaned


async def _claim_credit(
    db: Database,
    actor: Actor,
    org_id: uuid.UUID,
    invoice_id: uuid.UUID,
    amount_minor: int,
    reason: str,
    kind: CreditKind,
) -> tuple[Credit, Invoice]:
    cleaned = _clean_reason(reason)
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int) or amount_minor <= 0:
        raise ValidationFailed("The amount must be more than zero.", code="invoicing.credit_amount")
    async with db.session() as session, unit_of_work(session):
        await require_billing_staff(session, actor, org_id)
        # The row lock makes concurrent credits of one invoice take turns, so "what is left" holds.
        invoice = await session.scalar(
            select(Invoice).where(Invoice.id == invoice_id, Invoice.organization_id == org_id).with_for_update()
        )
        if invoice is None:
            raise _not_found()
        wanted = KIND_FOR_STATE.get(invoice.state)
        if wanted is None or invoice.stripe_invoice_id is None:
            raise Conflict(
                "Only an open or paid invoice can be credited.",
                code="invoicing.credit_state",
                params={"state": invoice.state.value},
            )
        if kind != wanted:
            raise ValidationFailed(
                "An open invoice is credited with a credit note; a paid one is refunded.",
                code="invoicing.credit_kind",
                params={"kind": kind.value, "state": invoice.state.value},
            )
        left = await creditable_minor(session, invoice)
        if amount_minor > left:
            raise ValidationFailed(
                "The amount is more than is left to credit on this invoice.",
                code="invoicing.credit_too_much",
                params={"left_minor": left, "left": Decimal(left) / 100, "currency": invoice.currency},
            )
        credit = Credit(
            organization_id=org_id,
            invoice_id=invoice.id,
            kind=kind,
            amount_minor=amount_minor,
            reason=cleaned,
            state=CreditState.pending,
            created_by=actor.user_id,
        )
        session.add(credit)
        await session.flush()
        record(
            session,
            actor,
            "invoice.credit",
            "invoice",
            invoice.id,
            organization_id=org_id,
            new={
                "credit_id": str(credit.id),
                "kind": kind.value,
                "amount_minor": amount_minor,
                "currency": invoice.currency,
                "reason": cleaned,
            },
        )
    return credit, invoice


async def credit_invoice(
    db: Database,
    actor: Actor,
    org_id: uuid.UUID,
    invoice_id: uuid.UUID,
    *,
    amount_minor: int,
    reason: str,
    kind: CreditKind,
    gw: StripeGateway | None = None,
) -> Credit:
    """Credit `amount_minor` of the invoice (whole or part) with the finance user's reason; returns the
    Credit, done. Stripe refusing leaves it failed (the amount can be credited again); Stripe out of
    reach leaves it pending, counted, for `resume_credit` to finish with the same idempotency keys."""
    gw = gw or gateway()
    credit, invoice = await _claim_credit(db, actor, org_id, invoice_id, amount_minor, reason, kind)
    return await _carry_out(db, gw, credit, invoice)


async def resume_credit(db: Database, credit_id: uuid.UUID, gw: StripeGateway | None = None) -> Credit:
    """Finish a credit left pending (Stripe was out of reach): the same calls with the same keys."""
    async with db.session() as session:
        credit = await session.get(Credit, credit_id)
        invoice = await session.get(Invoice, credit.invoice_id) if credit else None
        await session.commit()
    if credit is None or invoice is None:
        raise NotFound("No such credit.", code="invoicing.credit_not_found")
    if credit.state != CreditState.pending:
        return credit
    return await _carry_out(db, gw or gateway(), credit, invoice)


async def resume_pending_credits(db: Database, now: datetime | None = None, gw: StripeGateway | None = None) -> int:
    """Finish the credits left pending for longer than RESUME_AFTER (Stripe was out of reach); the wait
    keeps a resumed call from racing the first attempt. Returns how many were finished."""
    cutoff = (now or utcnow()) - RESUME_AFTER
    async with db.session() as session:
        pending = list(
            await session.scalars(
                select(Credit.id).where(Credit.state == CreditState.pending, Credit.created_at < cutoff).limit(100)
            )
        )
        await session.commit()
    finished = 0
    for credit_id in pending:
        try:
            credit = await resume_credit(db, credit_id, gw)
        except DomainError as exc:
            log.warning("credit %s not finished yet: %s", credit_id, exc.code)
            continue
        finished += credit.state == CreditState.done
    return finished


@periodic("billing.credit_resume", every=timedelta(minutes=15))
async def credit_resume_job(db: Database) -> None:
    if finished := await resume_pending_credits(db):
        log.info("invoicing: %d pending credits finished", finished)


async def _carry_out(db: Database, gw: StripeGateway, credit: Credit, invoice: Invoice) -> Credit:
    assert invoice.stripe_invoice_id is not None
    key = f"credit:{credit.id}"
    metadata = {"credit_id": str(credit.id), "invoice_id": str(invoice.id)}
    refund_id: str | None = None
    try:
        if credit.kind == CreditKind.refund:
            paid = await gw.retrieve_invoice(invoice.stripe_invoice_id)
            if paid.payment_intent is None:
                raise ValidationFailed(
                    "The invoice was not paid by card, so there is nothing to refund.",
                    code="invoicing.credit_no_payment",
                )
            # A destination charge: the whole payment was transferred to the owner's account, so the
            # refund takes the refunded share back from it (reverse_transfer), or the platform would pay
            # the owner's refund. The platform's fee was a share of what was billed; billing less means
            # the fee on the refunded share goes back to the owner too (refund_application_fee).
            refund = await gw.create_refund(
                paid.payment_intent,
                amount_minor=credit.amount_minor,
                reverse_transfer=True,
                refund_application_fee=True,
                metadata=metadata,
                idempotency_key=f"{key}:refund",
            )
            refund_id = refund.id
        note = await gw.create_credit_note(
            invoice.stripe_invoice_id,
            amount_minor=credit.amount_minor,
            memo=credit.reason,
            refund_id=refund_id,
            metadata=metadata,
            idempotency_key=key,
        )
    except PaymentsUnavailable:
        log.warning("credit %s: Stripe out of reach; left pending", credit.id)
        raise
    except DomainError as exc:
        code = str(exc.code or "payments.stripe_rejected")[:80]
        if refund_id is not None:
            # The money went back but the note was refused: the credit stays pending (and counted), so it
            # is never refunded twice; resume_credit makes the note with the same keys.
            await _finish(db, credit, CreditState.pending, error=code)
        else:
            await _finish(db, credit, CreditState.failed, error=code)
        raise
    return await _finish(db, credit, CreditState.done, stripe_id=note.id)


async def _finish(
    db: Database, credit: Credit, state: CreditState, *, stripe_id: str | None = None, error: str | None = None
) -> Credit:
    async with db.session() as session, unit_of_work(session):
        # Only a pending credit moves on, so a resumed and a first attempt cannot both count the amount.
        moved = await session.execute(
            update(Credit)
            .where(Credit.id == credit.id, Credit.state == CreditState.pending)
            .values(state=state, stripe_id=stripe_id, last_error_code=error)
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount == 1 and state == CreditState.done:  # type: ignore[attr-defined]
            await session.execute(
                update(Invoice)
                .where(Invoice.id == credit.invoice_id)
                .values(amount_credited_minor=Invoice.amount_credited_minor + credit.amount_minor)
                .execution_options(synchronize_session=False)
            )
        row = await session.get(Credit, credit.id, populate_existing=True)
    assert row is not None
    return row


async def invoice_credits(session: AsyncSession, org_id: uuid.UUID, invoice_id: uuid.UUID) -> list[Credit]:
    """The invoice's credits, oldest first (for the invoice page)."""
    rows = await session.scalars(
        select(Credit)
        .where(Credit.organization_id == org_id, Credit.invoice_id == invoice_id)
        .order_by(Credit.created_at, Credit.id)
    )
    return list(rows)
