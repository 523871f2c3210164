"""Credit notes, refunds and payouts on the stand-in, through the official SDK: what an open invoice owes
after a credit, a paid invoice's refund with the transfer and fee reversed, voiding, the strictness of
the parameters, idempotency, and a connected account's payouts with their Connect events."""

from __future__ import annotations

import httpx
import pytest
import stripe

from ladeportal.stripe_standin.server import StandinServer
from tests.stripe_standin.test_invoice_payments import open_invoice
from tests.stripe_standin.test_invoices_api import onboarded


def _error(call: object) -> stripe.StripeError:
    with pytest.raises(stripe.StripeError) as info:
        call()  # type: ignore[operator]
    return info.value


def test_a_credit_note_reduces_what_an_open_invoice_owes(standin: StandinServer, client: stripe.StripeClient) -> None:
    invoice = open_invoice(standin, client)  # 100.00 + 25 % exclusive MVA = 125.00
    note = client.v1.credit_notes.create(
        {"invoice": invoice.id, "amount": 5000, "reason": "order_change", "memo": "Feil måler", "metadata": {"c": "1"}}
    )
    assert (note.status, note.type, note.total, note.pre_payment_amount, note.post_payment_amount) == (
        "issued", "pre_payment", 5000, 5000, 0,
    )  # fmt: skip
    assert note.subtotal == 4000 and note.total_excluding_tax == 4000  # the VAT is credited in proportion
    assert note.number == f"{invoice.number}-CN-01" and note.memo == "Feil måler"
    after = client.v1.invoices.retrieve(invoice.id)
    assert (after.status, after.amount_due, after.amount_remaining, after.pre_payment_credit_notes_amount) == (
        "open", 7500, 7500, 5000,
    )  # fmt: skip
    assert client.v1.payment_intents.retrieve(standin.store.internal[invoice.id]["payment_intent"]).amount == 7500
    assert [n.id for n in client.v1.credit_notes.list({"invoice": invoice.id}).data] == [note.id]
    assert client.v1.credit_notes.retrieve(note.id).total == 5000
    assert httpx.get(str(note.pdf)).content.startswith(b"%PDF")
    assert [e["data"]["object"]["id"] for e in standin.events("credit_note.created")][-1] == note.id

    # The rest credited: nothing is left to pay, so the invoice is paid, as on Stripe.
    client.v1.credit_notes.create({"invoice": invoice.id, "amount": 7500, "reason": "duplicate"})
    paid = client.v1.invoices.retrieve(invoice.id)
    assert (paid.status, paid.amount_remaining, paid.amount_paid) == ("paid", 0, 0)
    assert standin.events("invoice.paid")[-1]["data"]["object"]["id"] == invoice.id


def test_more_than_is_left_is_refused_and_nothing_changes(standin: StandinServer, client: stripe.StripeClient) -> None:
    invoice = open_invoice(standin, client)
    client.v1.credit_notes.create({"invoice": invoice.id, "amount": 10000})
    error = _error(lambda: client.v1.credit_notes.create({"invoice": invoice.id, "amount": 2501}))
    assert error.http_status == 400 and error.param == "amount"  # type: ignore[attr-defined]
    assert client.v1.invoices.retrieve(invoice.id).amount_remaining == 2500
    # refund_amount needs money that was paid; an open invoice's credit is all pre-payment.
    error = _error(lambda: client.v1.credit_notes.create({"invoice": invoice.id, "amount": 100, "refund_amount": 100}))
    assert error.http_status == 400
    assert len(client.v1.credit_notes.list({"invoice": invoice.id}).data) == 1


@pytest.mark.parametrize(
    "params",
    [
        {"amount": 100, "discounts": "x"},
        {"amount": 100, "reason": "because"},
        {"amount": 100, "credit_amount": 100},
        {"lines": [{"type": "invoice_line_item", "invoice_line_item": "il_x", "amount": 1}]},
        {},
    ],
)
def test_bad_parameters_are_refused(
    standin: StandinServer, client: stripe.StripeClient, params: dict[str, object]
) -> None:
    invoice = open_invoice(standin, client)
    error = _error(lambda: client.v1.credit_notes.create({"invoice": invoice.id, **params}))  # type: ignore[typeddict-item]
    assert error.http_status == 400
    assert client.v1.invoices.retrieve(invoice.id).amount_remaining == 12500


def test_custom_lines_and_voiding_give_the_amount_back(standin: StandinServer, client: stripe.StripeClient) -> None:
    invoice = open_invoice(standin, client)
    note = client.v1.credit_notes.create(
        {
            "invoice": invoice.id,
            "lines": [{"type": "custom_line_item", "description": "Nøkkelbrikke", "unit_amount": 300, "quantity": 2}],
        }
    )
    assert note.total == 600 and note.lines.data[0].type == "custom_line_item"
    assert client.v1.invoices.retrieve(invoice.id).amount_remaining == 11900
    voided = client.v1.credit_notes.void_credit_note(note.id)
    assert voided.status == "void" and voided.voided_at is not None
    after = client.v1.invoices.retrieve(invoice.id)
    assert (after.amount_remaining, after.pre_payment_credit_notes_amount) == (12500, 0)
    assert standin.events("credit_note.voided")[-1]["data"]["object"]["id"] == note.id
    assert _error(lambda: client.v1.credit_notes.void_credit_note(note.id)).http_status == 400


def test_a_paid_invoice_is_refunded_with_the_transfer_and_fee_reversed(
    standin: StandinServer, client: stripe.StripeClient
) -> None:
    invoice = open_invoice(standin, client)
    intent = standin.pay_invoice(str(invoice.id))
    refund = client.v1.refunds.create(
        {
            "payment_intent": intent["id"],
            "amount": 5000,
            "reason": "requested_by_customer",
            "reverse_transfer": True,
            "refund_application_fee": True,
            "metadata": {"credit": "1"},
        },
        options={"idempotency_key": "refund-1"},
    )
    assert (refund.status, refund.amount, refund.payment_intent, refund.charge) == (
        "succeeded", 5000, intent["id"], intent["latest_charge"],
    )  # fmt: skip
    again = client.v1.refunds.create(
        {
            "payment_intent": intent["id"],
            "amount": 5000,
            "reason": "requested_by_customer",
            "reverse_transfer": True,
            "refund_application_fee": True,
            "metadata": {"credit": "1"},
        },
        options={"idempotency_key": "refund-1"},
    )
    assert again.id == refund.id  # the stored answer, no second refund
    [transfer] = [t for t in standin.transfers() if t["source_transaction"] == intent["latest_charge"]]
    assert transfer["amount_reversed"] == 5000  # 5000 of 12500 refunded: that share of the 12500 transfer
    [fee] = [f for f in standin.application_fees() if f["charge"] == intent["latest_charge"]]
    assert fee["amount_refunded"] == 100  # 250 × 5000 / 12500
    assert client.v1.refunds.retrieve(refund.id).transfer_reversal == standin.transfer_reversals()[-1]["id"]
    charge = standin.events("charge.refunded")[-1]["data"]["object"]
    assert (charge["amount_refunded"], charge["refunded"]) == (5000, False)
    assert standin.events("refund.created")[-1]["data"]["object"]["id"] == refund.id

    # The credit note that records it links the refund; the invoice stays paid.
    note = client.v1.credit_notes.create(
        {"invoice": invoice.id, "amount": 5000, "refunds": [{"refund": refund.id, "amount_refunded": 5000}]}
    )
    assert (note.type, note.post_payment_amount, note.refunds[0].refund) == ("post_payment", 5000, refund.id)
    paid = client.v1.invoices.retrieve(invoice.id)
    assert (paid.status, paid.post_payment_credit_notes_amount, paid.amount_paid) == ("paid", 5000, 12500)
    assert _error(lambda: client.v1.credit_notes.void_credit_note(note.id)).http_status == 400

    # refund_amount makes a refund of its own; more than is left is refused.
    second = client.v1.credit_notes.create({"invoice": invoice.id, "amount": 7500, "refund_amount": 7500})
    assert client.v1.refunds.retrieve(str(second.refunds[0].refund)).amount == 7500
    assert standin.events("charge.refunded")[-1]["data"]["object"]["refunded"] is True
    error = _error(lambda: client.v1.refunds.create({"payment_intent": intent["id"], "amount": 1}))
    assert error.code == "charge_already_refunded"  # type: ignore[attr-defined]


def test_refunds_are_checked(standin: StandinServer, client: stripe.StripeClient) -> None:
    invoice = open_invoice(standin, client)
    intent_id = standin.store.internal[invoice.id]["payment_intent"]
    assert _error(lambda: client.v1.refunds.create({"payment_intent": intent_id})).http_status == 400  # unpaid
    standin.pay_invoice(str(invoice.id))
    too_much = _error(lambda: client.v1.refunds.create({"payment_intent": intent_id, "amount": 12501}))
    assert too_much.http_status == 400 and too_much.param == "amount"  # type: ignore[attr-defined]
    unknown = _error(lambda: client.v1.refunds.create({"payment_intent": intent_id, "instructions_email": "x"}))  # type: ignore[typeddict-unknown-key]
    assert unknown.code == "parameter_unknown"  # type: ignore[attr-defined]
    assert _error(lambda: client.v1.refunds.create({"payment_intent": "pi_missing"})).http_status == 404
    own = open_invoice(standin, client, connect=False)
    standin.pay_invoice(str(own.id))
    own_intent = standin.store.internal[own.id]["payment_intent"]
    error = _error(lambda: client.v1.refunds.create({"payment_intent": own_intent, "reverse_transfer": True}))
    assert error.param == "reverse_transfer"  # type: ignore[attr-defined]
    assert _error(lambda: client.v1.refunds.retrieve("re_missing")).http_status == 404


def test_payouts_of_a_connected_account(standin: StandinServer, client: stripe.StripeClient) -> None:
    owner = onboarded(standin, client)
    first = standin.make_payout(owner.id, 120000, "nok", arrival_date=1_900_000_000)
    answer = httpx.post(f"{standin.url}/_standin/accounts/{owner.id}/payouts", data={"amount": "5000"})
    assert answer.status_code == 200
    second = answer.json()
    listed = client.v1.payouts.list(options={"stripe_account": owner.id})
    assert [p.id for p in listed.data] == [second["id"], first["id"]]
    assert client.v1.payouts.list().data == []  # the platform's own payouts are others
    payout = client.v1.payouts.retrieve(first["id"], options={"stripe_account": owner.id})
    assert (payout.status, payout.amount, payout.currency, payout.arrival_date) == (
        "paid", 120000, "nok", 1_900_000_000,
    )  # fmt: skip
    assert _error(lambda: client.v1.payouts.retrieve(first["id"])).http_status == 404
    events = [
        (e["type"], e["account"], e["data"]["object"]["status"])
        for e in standin.events()
        if e["type"].startswith("payout.") and e["data"]["object"]["id"] == first["id"]
    ]
    assert events == [("payout.created", owner.id, "in_transit"), ("payout.paid", owner.id, "paid")]
    assert httpx.post(f"{standin.url}/_standin/accounts/acct_missing/payouts", data={"amount": "1"}).status_code == 404
    assert [
        p.id for p in client.v1.payouts.list({"status": "paid", "limit": 1}, options={"stripe_account": owner.id}).data
    ] == [second["id"]]
