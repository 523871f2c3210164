"""Crediting invoices: credit notes on open invoices (partial, whole), refunds of paid ones with the
owner's transfer reversed, what is refused (too much, wrong kind, bad input, other roles and
organisations) with nothing stored, the audit trail, and Stripe failing or out of reach."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.billing.credits import credit_invoice, invoice_credits, resume_credit, resume_pending_credits
from ladeportal.billing.invoice_models import Credit, CreditKind, CreditState, Invoice, InvoiceState
from ladeportal.billing.stripe_gateway import PaymentsUnavailable
from ladeportal.db.base import utcnow
from ladeportal.db.engine import Database
from ladeportal.errors import DomainError, NotFound, ValidationFailed
from ladeportal.members.models import Membership
from ladeportal.platform.audit import Actor
from ladeportal.platform.models import AuditEvent
from ladeportal.stripe_standin.server import StandinServer
from tests.billing.after_invoice_fixtures import invoice_row, sdk, stripe_invoice
from tests.billing.invoicing_fixtures import InvoicingOrg, finance_user, invoicing_org
from tests.factories import make_member, mobile_number


def _actor(member: Membership) -> Actor:
    return Actor(label="finance", user_id=member.user_id)


async def _setup(
    db: Database, session: AsyncSession, standin: StandinServer, total: int = 50000, *, fee: int = 0
) -> tuple[InvoicingOrg, Membership, Invoice]:
    world = await invoicing_org(db, session, standin)
    assert world.account_id is not None
    member = await make_member(session, world.org, mobile_number(), name="Kari")
    finance = await finance_user(session, world.org)
    at_stripe = stripe_invoice(standin, world.account_id, total, fee)
    invoice = await invoice_row(session, world.org.id, member.id, total_minor=total, stripe_invoice=at_stripe)
    return world, finance, invoice


async def _credits(session: AsyncSession, invoice_id: uuid.UUID) -> list[Credit]:
    rows = await session.scalars(
        select(Credit).where(Credit.invoice_id == invoice_id).execution_options(populate_existing=True)
    )
    found = list(rows)
    await session.commit()
    return found


async def _credited(session: AsyncSession, invoice_id: uuid.UUID) -> int:
    value = await session.scalar(
        select(Invoice.amount_credited_minor).where(Invoice.id == invoice_id).execution_options(populate_existing=True)
    )
    await session.commit()
    return int(value or 0)


async def test_partial_then_whole_credit_of_an_open_invoice(
    db: Database, session: AsyncSession, standin: StandinServer
) -> None:
    world, finance, invoice = await _setup(db, session, standin)
    credit = await credit_invoice(
        db,
        _actor(finance),
        world.org.id,
        invoice.id,
        amount_minor=12500,
        reason="  Feil  måler ",
        kind=CreditKind.credit_note,
    )
    assert (credit.state, credit.amount_minor, credit.reason) == (CreditState.done, 12500, "Feil måler")
    assert credit.stripe_id is not None and credit.stripe_id.startswith("cn_")
    at_stripe = standin.invoice(str(invoice.stripe_invoice_id))
    assert (at_stripe["status"], at_stripe["amount_remaining"]) == ("open", 37500)
    note = sdk(standin).v1.credit_notes.retrieve(credit.stripe_id)
    assert (note.total, note.memo, note.metadata["credit_id"]) == (12500, "Feil måler", str(credit.id))
    assert await _credited(session, invoice.id) == 12500

    # The rest, whole: Stripe has nothing left to collect and marks the invoice paid.
    rest = await credit_invoice(
        db, _actor(finance), world.org.id, invoice.id, amount_minor=37500, reason="Avtalt", kind=CreditKind.credit_note
    )
    assert rest.state == CreditState.done
    assert standin.invoice(str(invoice.stripe_invoice_id))["status"] == "paid"
    assert await _credited(session, invoice.id) == 50000
    with pytest.raises(ValidationFailed) as refused:
        await credit_invoice(
            db, _actor(finance), world.org.id, invoice.id, amount_minor=1, reason="En til", kind=CreditKind.credit_note
        )
    assert refused.value.code == "invoicing.credit_too_much" and refused.value.params["left_minor"] == 0
    async with db.session() as s:
        assert [c.amount_minor for c in await invoice_credits(s, world.org.id, invoice.id)] == [12500, 37500]
        audit = (
            await s.scalars(select(AuditEvent).where(AuditEvent.action == "invoice.credit").order_by(AuditEvent.id))
        ).all()
    assert [(a.entity_id, a.actor_user_id, (a.new_values or {})["reason"]) for a in audit] == [
        (str(invoice.id), finance.user_id, "Feil måler"),
        (str(invoice.id), finance.user_id, "Avtalt"),
    ]


async def test_more_than_the_invoice_is_refused_and_nothing_is_stored(
    db: Database, session: AsyncSession, standin: StandinServer
) -> None:
    world, finance, invoice = await _setup(db, session, standin, 10000)
    with pytest.raises(ValidationFailed) as refused:
        await credit_invoice(
            db,
            _actor(finance),
            world.org.id,
            invoice.id,
            amount_minor=10001,
            reason="For mye",
            kind=CreditKind.credit_note,
        )
    assert (refused.value.code, refused.value.params["left_minor"]) == ("invoicing.credit_too_much", 10000)
    assert await _credits(session, invoice.id) == []
    assert standin.invoice(str(invoice.stripe_invoice_id))["amount_remaining"] == 10000


@pytest.mark.parametrize(
    ("amount", "reason", "kind", "code"),
    [
        (0, "Grunn", CreditKind.credit_note, "invoicing.credit_amount"),
        (-100, "Grunn", CreditKind.credit_note, "invoicing.credit_amount"),
        (100, "   ", CreditKind.credit_note, "invoicing.credit_reason"),
        (100, "x" * 501, CreditKind.credit_note, "invoicing.credit_reason"),
        (100, "Grunn", CreditKind.refund, "invoicing.credit_kind"),  # an open invoice is not refunded
    ],
)
async def test_bad_input_is_refused_with_a_code(
    db: Database, session: AsyncSession, standin: StandinServer, amount: int, reason: str, kind: CreditKind, code: str
) -> None:
    world, finance, invoice = await _setup(db, session, standin, 10000)
    with pytest.raises(ValidationFailed) as refused:
        await credit_invoice(
            db, _actor(finance), world.org.id, invoice.id, amount_minor=amount, reason=reason, kind=kind
        )
    assert refused.value.code == code
    assert await _credits(session, invoice.id) == []
    async with db.session() as s:
        assert (
            await s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "invoice.credit"))
            == 0
        )


async def test_a_paid_invoice_is_refunded_and_the_transfer_reversed(
    db: Database, session: AsyncSession, standin: StandinServer
) -> None:
    world, finance, invoice = await _setup(db, session, standin, 40000, fee=1000)
    intent = standin.pay_invoice(str(invoice.stripe_invoice_id))
    invoice.state = InvoiceState.paid  # as the invoice.paid webhook leaves it
    await session.commit()
    with pytest.raises(ValidationFailed) as wrong:
        await credit_invoice(
            db, _actor(finance), world.org.id, invoice.id, amount_minor=100, reason="x", kind=CreditKind.credit_note
        )
    assert wrong.value.code == "invoicing.credit_kind"

    credit = await credit_invoice(
        db,
        _actor(finance),
        world.org.id,
        invoice.id,
        amount_minor=10000,
        reason="Dobbel lading",
        kind=CreditKind.refund,
    )
    assert credit.state == CreditState.done and credit.kind == CreditKind.refund
    client = sdk(standin)
    note = client.v1.credit_notes.retrieve(str(credit.stripe_id))
    refund = client.v1.refunds.retrieve(str(note.refunds[0].refund))
    assert (refund.amount, refund.payment_intent, refund.status) == (10000, intent["id"], "succeeded")
    [transfer] = [t for t in standin.transfers() if t["source_transaction"] == intent["latest_charge"]]
    assert transfer["amount_reversed"] == 10000  # the owner gives back what the member gets back
    [fee] = [f for f in standin.application_fees() if f["charge"] == intent["latest_charge"]]
    assert fee["amount_refunded"] == 250  # and the platform its fee on that quarter
    at_stripe = standin.invoice(str(invoice.stripe_invoice_id))
    assert (at_stripe["status"], at_stripe["post_payment_credit_notes_amount"]) == ("paid", 10000)
    assert await _credited(session, invoice.id) == 10000


async def test_only_finance_and_admins_of_the_organisation_credit(
    db: Database, session: AsyncSession, standin: StandinServer
) -> None:
    world, _finance, invoice = await _setup(db, session, standin, 10000)
    plain = await make_member(session, world.org, mobile_number())
    other = await invoicing_org(db, session)
    outsider = await finance_user(session, other.org)
    for actor, org_id in ((_actor(plain), world.org.id), (_actor(outsider), world.org.id), (other.actor, other.org.id)):
        with pytest.raises(NotFound):
            await credit_invoice(
                db, actor, org_id, invoice.id, amount_minor=100, reason="Grunn", kind=CreditKind.credit_note
            )
    with pytest.raises(NotFound) as missing:
        await credit_invoice(
            db, world.actor, world.org.id, uuid.uuid4(), amount_minor=100, reason="Grunn", kind=CreditKind.credit_note
        )
    assert missing.value.code == "invoicing.invoice_not_found"
    assert await _credits(session, invoice.id) == []
    done = await credit_invoice(  # the administrator may
        db, world.actor, world.org.id, invoice.id, amount_minor=100, reason="Grunn", kind=CreditKind.credit_note
    )
    assert done.state == CreditState.done


async def test_a_void_or_pending_invoice_is_not_credited(
    db: Database, session: AsyncSession, standin: StandinServer
) -> None:
    world, finance, invoice = await _setup(db, session, standin, 10000)
    invoice.state = InvoiceState.void
    await session.commit()
    with pytest.raises(DomainError) as refused:
        await credit_invoice(
            db, _actor(finance), world.org.id, invoice.id, amount_minor=100, reason="Grunn", kind=CreditKind.credit_note
        )
    assert refused.value.code == "invoicing.credit_state"


async def test_stripe_refusing_fails_the_credit_and_an_outage_leaves_it_to_resume(
    db: Database, session: AsyncSession, standin: StandinServer
) -> None:
    world, finance, invoice = await _setup(db, session, standin, 10000)
    member = await make_member(session, world.org, mobile_number())
    unknown = await invoice_row(session, world.org.id, member.id, total_minor=5000)  # no such invoice at Stripe
    with pytest.raises(ValidationFailed) as refused:
        await credit_invoice(
            db, _actor(finance), world.org.id, unknown.id, amount_minor=100, reason="Grunn", kind=CreditKind.credit_note
        )
    assert refused.value.code == "payments.stripe_rejected"
    [failed] = await _credits(session, unknown.id)
    assert (failed.state, failed.last_error_code) == (CreditState.failed, "payments.stripe_rejected")
    assert await _credited(session, unknown.id) == 0

    standin.inject_failures(*([500] * 3))  # more than the gateway's retries
    with pytest.raises(PaymentsUnavailable):
        await credit_invoice(
            db,
            _actor(finance),
            world.org.id,
            invoice.id,
            amount_minor=4000,
            reason="Grunn",
            kind=CreditKind.credit_note,
        )
    [pending] = await _credits(session, invoice.id)
    assert pending.state == CreditState.pending
    with pytest.raises(ValidationFailed):  # the pending credit counts: no more than the invoice in total
        await credit_invoice(
            db,
            _actor(finance),
            world.org.id,
            invoice.id,
            amount_minor=6001,
            reason="Grunn",
            kind=CreditKind.credit_note,
        )
    assert await resume_pending_credits(db) == 0  # too fresh: the first attempt may still be under way
    assert await resume_pending_credits(db, utcnow() + timedelta(minutes=11)) == 1
    resumed = await resume_credit(db, pending.id)
    again = await resume_credit(db, pending.id)
    assert resumed.state == again.state == CreditState.done and resumed.stripe_id == again.stripe_id
    assert len(sdk(standin).v1.credit_notes.list({"invoice": str(invoice.stripe_invoice_id)}).data) == 1
    assert await _credited(session, invoice.id) == 4000
