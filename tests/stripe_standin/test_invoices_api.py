"""Invoice items and invoices through the official SDK: drafts, totals with MVA, finalization, the
actions on open invoices, Connect rules and events."""

from __future__ import annotations

import httpx
import pytest
import stripe

from ladeportal.stripe_standin.server import StandinServer
from tests.stripe_standin.conftest import new_account

DAY = 86400


def mva(client: stripe.StripeClient, *, inclusive: bool, account: str | None = None) -> stripe.TaxRate:
    params: stripe.TaxRateCreateParams = {
        "display_name": "MVA",
        "percentage": 25.0,
        "inclusive": inclusive,
        "country": "NO",
        "jurisdiction": "NO",
    }
    return client.v1.tax_rates.create(params, options={"stripe_account": account} if account else {})


def onboarded(standin: StandinServer, client: stripe.StripeClient) -> stripe.Account:
    account = new_account(client, business_profile={"name": "Solsiden borettslag"})
    standin.complete_onboarding(account.id)
    return account


def draft(client: stripe.StripeClient, customer: str, **params: object) -> stripe.Invoice:
    base: dict[str, object] = {"customer": customer, "collection_method": "send_invoice", "days_until_due": 14}
    base.update(params)
    return client.v1.invoices.create(base)  # type: ignore[arg-type]


def assert_pdf_cross_references(content: bytes) -> None:
    """Each object a PDF reader looks up through the cross-reference table is where the table says."""
    start = int(content.rsplit(b"startxref", 1)[1].split()[0])
    table = content[start:].split(b"trailer")[0].split(b"\n")
    assert table[0] == b"xref"
    count = int(table[1].split()[1])
    for number in range(1, count):
        offset = int(table[2 + number].split()[0])
        assert content[offset:].startswith(b"%d 0 obj" % number)


def test_exclusive_mva_totals_and_finalization(standin: StandinServer, client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create({"email": "kari@example.no", "name": "Kari Nordmann"})
    rate = mva(client, inclusive=False)
    invoice = draft(client, customer.id, default_tax_rates=[rate.id], description="Lading november")
    assert (invoice.status, invoice.number, invoice.hosted_invoice_url) == ("draft", None, None)
    assert invoice.due_date == invoice.created + 14 * DAY

    # 12.345 kWh at 3.3333 NOK: 4114.9588... öre rounds to 4115; MVA 25 % of it, 1028.75 -> 1029.
    client.v1.invoice_items.create(
        {
            "customer": customer.id,
            "invoice": invoice.id,
            "unit_amount_decimal": "333.33",
            "quantity_decimal": "12.345",
            "description": "Lading",
            "period": {"start": 1_700_000_000, "end": 1_700_086_400},
        }
    )
    client.v1.invoice_items.create(
        {
            "customer": customer.id,
            "invoice": invoice.id,
            "amount": 5000,
            "currency": "nok",
            "description": "Månedsavgift",
        }
    )
    current = client.v1.invoices.retrieve(invoice.id)
    assert (current.subtotal, current.subtotal_excluding_tax) == (4115 + 5000, 4115 + 5000)
    taxes = current.total_taxes or []
    assert [(t.amount, t.taxable_amount, t.tax_behavior) for t in taxes] == [(1029 + 1250, 9115, "exclusive")]
    assert (current.total, current.total_excluding_tax, current.amount_due) == (9115 + 2279, 9115, 9115 + 2279)
    lines = client.v1.invoices.line_items.list(invoice.id)
    assert [(line.amount, line.description) for line in lines.data] == [(4115, "Lading"), (5000, "Månedsavgift")]
    assert lines.data[0].period.start == 1_700_000_000

    final = client.v1.invoices.finalize_invoice(invoice.id)
    assert final.status == "open"
    assert final.number == f"{customer.invoice_prefix}-0001"
    assert final.hosted_invoice_url and final.hosted_invoice_url.startswith(f"{standin.url}/i/")
    assert final.amount_due == 11394 and final.amount_remaining == 11394
    payment = final.payments.data[0] if final.payments else None
    assert payment is not None and payment.payment.payment_intent
    intent = client.v1.payment_intents.retrieve(str(payment.payment.payment_intent))
    assert (intent.amount, intent.currency, intent.status) == (11394, "nok", "requires_payment_method")
    pdf = httpx.get(str(final.invoice_pdf))
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")
    assert_pdf_cross_references(pdf.content)
    assert f"Invoice {final.number}".encode() in pdf.content and b"Total: 113.94 NOK" in pdf.content
    assert client.v1.customers.retrieve(customer.id).next_invoice_sequence == 2
    assert [e["type"] for e in standin.events() if e["type"].startswith("invoice.")] == [
        "invoice.created",
        "invoice.finalized",
    ]


def test_inclusive_mva_is_taken_out_of_the_amount(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create({"email": "kari@example.no"})
    rate = mva(client, inclusive=True)
    invoice = draft(client, customer.id)
    # 999 öre including 25 %: net 799.2 -> 799, MVA the remaining 200.
    client.v1.invoice_items.create(
        {"customer": customer.id, "invoice": invoice.id, "amount": 999, "currency": "nok", "tax_rates": [rate.id]}
    )
    current = client.v1.invoices.retrieve(invoice.id)
    assert (current.subtotal, current.subtotal_excluding_tax, current.total, current.total_excluding_tax) == (
        999,
        799,
        999,
        799,
    )
    assert [(t.amount, t.tax_behavior) for t in current.total_taxes or []] == [(200, "inclusive")]


def test_pending_items_are_included_once(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create({"email": "kari@example.no"})
    item = client.v1.invoice_items.create({"customer": customer.id, "amount": 1000, "currency": "nok"})
    assert item.invoice is None
    excluded = draft(client, customer.id)
    assert excluded.lines.data == [] and excluded.total == 0
    included = draft(client, customer.id, pending_invoice_items_behavior="include")
    assert [line.parent.invoice_item_details.invoice_item for line in included.lines.data] == [item.id]  # type: ignore[union-attr]
    assert client.v1.invoice_items.retrieve(item.id).invoice == included.id
    again = draft(client, customer.id, pending_invoice_items_behavior="include")
    assert again.lines.data == []


def test_a_finalized_invoice_cannot_be_edited(standin: StandinServer, client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create({"email": "kari@example.no"})
    invoice = draft(client, customer.id)
    client.v1.invoice_items.create({"customer": customer.id, "invoice": invoice.id, "amount": 1000, "currency": "nok"})
    client.v1.invoices.finalize_invoice(invoice.id)
    before = standin.invoice(invoice.id)

    with pytest.raises(stripe.InvalidRequestError) as edit:
        client.v1.invoices.update(invoice.id, {"description": "changed"})
    assert (edit.value.http_status, edit.value.code) == (400, "invoice_not_editable")
    with pytest.raises(stripe.InvalidRequestError) as add:
        client.v1.invoice_items.create(
            {"customer": customer.id, "invoice": invoice.id, "amount": 500, "currency": "nok"}
        )
    assert add.value.code == "invoice_not_editable"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoices.delete(invoice.id)
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoices.finalize_invoice(invoice.id)
    assert standin.invoice(invoice.id) == before
    assert client.v1.invoices.update(invoice.id, {"metadata": {"period": "2026-11"}}).metadata["period"] == "2026-11"


def test_draft_update_delete_and_list_filters(client: stripe.StripeClient) -> None:
    kari = client.v1.customers.create({"email": "kari@example.no"})
    ola = client.v1.customers.create({"email": "ola@example.no"})
    first = draft(client, kari.id)
    second = draft(client, ola.id)
    client.v1.invoices.update(first.id, {"footer": "Org.nr. 987654321", "days_until_due": 30})
    assert client.v1.invoices.retrieve(first.id).due_date == first.created + 30 * DAY
    client.v1.invoice_items.create({"customer": ola.id, "invoice": second.id, "amount": 1000, "currency": "nok"})
    client.v1.invoices.finalize_invoice(second.id)
    empty = draft(client, ola.id)
    assert client.v1.invoices.finalize_invoice(empty.id).status == "paid"  # nothing due: paid at once
    assert [i.id for i in client.v1.invoices.list({"customer": kari.id}).data] == [first.id]
    assert [i.id for i in client.v1.invoices.list({"status": "open"}).data] == [second.id]
    deleted = client.v1.invoices.delete(first.id)
    assert deleted.deleted is True
    with pytest.raises(stripe.InvalidRequestError) as gone:
        client.v1.invoices.retrieve(first.id)
    assert gone.value.http_status == 404


def test_bad_invoice_parameters(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create({"email": "kari@example.no"})
    with pytest.raises(stripe.InvalidRequestError) as no_due:
        client.v1.invoices.create({"customer": customer.id, "collection_method": "send_invoice"})
    assert no_due.value.param == "days_until_due"
    with pytest.raises(stripe.InvalidRequestError) as no_customer:
        client.v1.invoices.create({"customer": "cus_missing"})
    assert (no_customer.value.http_status, no_customer.value.param) == (404, "customer")
    with pytest.raises(stripe.InvalidRequestError) as fee_alone:
        draft(client, customer.id, application_fee_amount=100)
    assert fee_alone.value.param == "application_fee_amount"
    with pytest.raises(stripe.InvalidRequestError) as both:
        client.v1.invoice_items.create(
            {"customer": customer.id, "amount": 100, "unit_amount_decimal": "100", "currency": "nok"}  # type: ignore[typeddict-item]
        )
    assert both.value.http_status == 400
    assert client.v1.invoices.list().data == []


def test_connect_destination_must_take_charges(standin: StandinServer, client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create({"email": "kari@example.no"})
    pending = new_account(client)
    with pytest.raises(stripe.InvalidRequestError) as not_enabled:
        draft(client, customer.id, on_behalf_of=pending.id, transfer_data={"destination": pending.id})
    assert not_enabled.value.code == "insufficient_capabilities_for_transfer"
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        draft(client, customer.id, transfer_data={"destination": "acct_unknown"})
    assert unknown.value.http_status == 404
    assert client.v1.invoices.list().data == []

    owner = onboarded(standin, client)
    invoice = draft(
        client,
        customer.id,
        on_behalf_of=owner.id,
        transfer_data={"destination": owner.id},
        application_fee_amount=150,
    )
    assert invoice.on_behalf_of == owner.id and invoice.account_name == "Solsiden borettslag"
    assert invoice.to_dict()["transfer_data"]["destination"] == owner.id


def test_send_pay_out_of_band_void_and_uncollectible(standin: StandinServer, client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create({"email": "kari@example.no"})
    invoices = []
    for _ in range(3):
        invoice = draft(client, customer.id)
        client.v1.invoice_items.create(
            {"customer": customer.id, "invoice": invoice.id, "amount": 1000, "currency": "nok"}
        )
        invoices.append(client.v1.invoices.finalize_invoice(invoice.id))
    sent, voided, lost = invoices

    client.v1.invoices.send_invoice(sent.id)
    paid = client.v1.invoices.pay(sent.id, {"paid_out_of_band": True})
    assert (paid.status, paid.amount_paid, paid.amount_remaining) == ("paid", 1000, 0)
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoices.void_invoice(sent.id)

    assert client.v1.invoices.void_invoice(voided.id).status == "void"
    intent_id = voided.payments.data[0].payment.payment_intent  # type: ignore[union-attr]
    assert client.v1.payment_intents.retrieve(str(intent_id)).status == "canceled"

    assert client.v1.invoices.mark_uncollectible(lost.id).status == "uncollectible"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoices.pay(lost.id)  # no card on file: paid on the hosted page or out of band
    types = [e["type"] for e in standin.events() if e["type"].startswith("invoice.") and e["type"] != "invoice.created"]
    assert types == [
        "invoice.finalized",
        "invoice.finalized",
        "invoice.finalized",
        "invoice.sent",
        "invoice.paid",
        "invoice.voided",
        "invoice.marked_uncollectible",
    ]


def test_invoices_of_a_connected_account_make_connect_events(
    standin: StandinServer, client: stripe.StripeClient
) -> None:
    owner = onboarded(standin, client)
    scope = {"stripe_account": owner.id}
    customer = client.v1.customers.create({"email": "kari@example.no"}, options=scope)
    rate = mva(client, inclusive=False, account=owner.id)
    invoice = client.v1.invoices.create(
        {
            "customer": customer.id,
            "collection_method": "send_invoice",
            "days_until_due": 10,
            "default_tax_rates": [rate.id],
            "application_fee_amount": 100,
        },
        options=scope,
    )
    client.v1.invoice_items.create(
        {"customer": customer.id, "invoice": invoice.id, "amount": 2000, "currency": "nok"}, options=scope
    )
    client.v1.invoices.finalize_invoice(invoice.id, options=scope)
    assert invoice.account_name == "Solsiden borettslag"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoices.retrieve(invoice.id)  # the platform's key alone does not see it
    events = [e for e in standin.events() if e["type"] in ("invoice.created", "invoice.finalized")]
    assert [(e["type"], e.get("account")) for e in events] == [
        ("invoice.created", owner.id),
        ("invoice.finalized", owner.id),
    ]
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.tax_rates.retrieve(rate.id)


def test_past_due_stays_open_and_is_told_once(standin: StandinServer, client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create({"email": "kari@example.no"})
    invoice = draft(client, customer.id, days_until_due=7)
    client.v1.invoice_items.create({"customer": customer.id, "invoice": invoice.id, "amount": 1000, "currency": "nok"})
    client.v1.invoices.finalize_invoice(invoice.id)
    standin.advance_time(6 * DAY)
    assert standin.events("invoice.overdue") == []
    standin.advance_time(2 * DAY)
    assert client.v1.invoices.retrieve(invoice.id).status == "open"
    standin.advance_time(DAY)
    (overdue,) = standin.events("invoice.overdue")
    assert overdue["data"]["object"]["id"] == invoice.id


def test_auto_advance_finalizes_a_draft_after_an_hour(standin: StandinServer, client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create({"email": "kari@example.no"})
    invoice = draft(client, customer.id, auto_advance=True)
    client.v1.invoice_items.create({"customer": customer.id, "invoice": invoice.id, "amount": 1000, "currency": "nok"})
    assert invoice.automatically_finalizes_at == invoice.created + 3600
    standin.advance_time(3601)
    current = client.v1.invoices.retrieve(invoice.id)
    assert current.status == "open" and current.number
    assert [e["type"] for e in standin.events() if e["type"] in ("invoice.finalized", "invoice.sent")] == [
        "invoice.finalized",
        "invoice.sent",
    ]


def test_another_account_cannot_touch_an_invoice(standin: StandinServer, client: stripe.StripeClient) -> None:
    owner = onboarded(standin, client)
    outsider = onboarded(standin, client)
    scope = {"stripe_account": owner.id}
    customer = client.v1.customers.create({"email": "kari@example.no"}, options=scope)
    invoice = client.v1.invoices.create(
        {"customer": customer.id, "collection_method": "send_invoice", "days_until_due": 10}, options=scope
    )
    client.v1.invoice_items.create(
        {"customer": customer.id, "invoice": invoice.id, "amount": 2000, "currency": "nok"}, options=scope
    )
    before = standin.invoice(invoice.id)
    other = {"stripe_account": outsider.id}
    attempts = [
        lambda: client.v1.invoices.retrieve(invoice.id, options=other),
        lambda: client.v1.invoices.update(invoice.id, {"description": "x"}, options=other),
        lambda: client.v1.invoices.finalize_invoice(invoice.id, options=other),
        lambda: client.v1.invoices.delete(invoice.id, options=other),
        lambda: client.v1.invoices.void_invoice(invoice.id, options=other),
        lambda: client.v1.invoices.line_items.list(invoice.id, options=other),
        lambda: client.v1.invoice_items.create(
            {"customer": customer.id, "invoice": invoice.id, "amount": 1, "currency": "nok"}, options=other
        ),
    ]
    for attempt in attempts:
        with pytest.raises(stripe.InvalidRequestError) as refused:
            attempt()
        assert refused.value.http_status == 404
    assert client.v1.invoices.list(options=other).data == []
    assert standin.invoice(invoice.id) == before
