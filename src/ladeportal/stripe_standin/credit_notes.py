"""Credit notes, as Stripe applies them to a finalized invoice: the credit first reduces what is still due
on an open (or uncollectible) invoice, not below zero (`pre_payment_amount`; the invoice's `amount_due`,
`amount_remaining` and `pre_payment_credit_notes_amount`); an open invoice credited down to nothing is
paid. What goes beyond that (`post_payment_amount`, the invoice's `post_payment_credit_notes_amount`) must
be given out exactly as `refund_amount` (a new refund of the invoice's charge), `refunds[]` (refunds made
before), or `out_of_band_amount`. `credit_amount` (the customer's balance) is refused: the stand-in keeps
no credit balances. A note never exceeds what is left of the invoice's total after earlier notes."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from ladeportal.stripe_standin import records, refunds
from ladeportal.stripe_standin.errors import StripeApiError, invalid_param, missing_param
from ladeportal.stripe_standin.ids import new_id, new_token
from ladeportal.stripe_standin.invoice_items import MAX_AMOUNT, metadata_update, tax_rates_of
from ladeportal.stripe_standin.invoice_payments import cancel_payment
from ladeportal.stripe_standin.invoice_totals import line_taxes, rounded
from ladeportal.stripe_standin.origin import Origin, emit
from ladeportal.stripe_standin.params import as_int, as_list, as_string, reject_unknown
from ladeportal.stripe_standin.store import Store

CREATE_PARAMS = (
    "invoice", "amount", "lines", "reason", "memo", "refund_amount", "credit_amount", "out_of_band_amount",
    "refunds", "metadata", "expand",
)  # fmt: skip
LINE_PARAMS = ("type", "description", "quantity", "unit_amount", "unit_amount_decimal", "tax_rates", "metadata")
REASONS = ("duplicate", "fraudulent", "order_change", "product_unsatisfactory")


def _line(note_id: str, n: int, **fields: Any) -> dict[str, Any]:
    return {
        "id": f"cnli_{note_id[3:]}{n:02d}"[:30],
        "object": "credit_note_line_item",
        "amount": fields["amount"],
        "description": fields.get("description"),
        "discount_amount": 0,
        "discount_amounts": [],
        "invoice_line_item": fields.get("invoice_line_item"),
        "livemode": False,
        "metadata": fields.get("metadata") or {},
        "pretax_credit_amounts": [],
        "quantity": fields.get("quantity", 1),
        "tax_rates": fields.get("tax_rates", []),
        "taxes": fields["taxes"],
        "type": fields["type"],
        "unit_amount": fields.get("unit_amount"),
        "unit_amount_decimal": fields.get("unit_amount_decimal"),
    }


def _gross(line: dict[str, Any]) -> int:
    return int(line["amount"]) + sum(t["amount"] for t in line["taxes"] if t["tax_behavior"] == "exclusive")


def _lines_for_amount(store: Store, note_id: str, invoice: dict[str, Any], amount: int) -> list[dict[str, Any]]:
    """`amount` (tax included) spread over the invoice's lines in proportion to their totals, each share
    taxed at its line's rates, the rounding left on the last line."""
    invoice_lines = invoice["lines"]["data"]
    grosses = [_gross(line) for line in invoice_lines]
    total = sum(grosses)
    lines, left = [], amount
    for n, (line, gross) in enumerate(zip(invoice_lines, grosses, strict=True)):
        last = n == len(invoice_lines) - 1
        share = left if last else rounded(Decimal(amount) * gross / total) if total else 0
        left -= share
        rates = [store.objects["tax_rate"][t["tax_rate_details"]["tax_rate"]] for t in line["taxes"]]
        exclusive = sum(Decimal(str(r["percentage"])) for r in rates if not r["inclusive"])
        net = rounded(Decimal(share) * 100 / (100 + exclusive)) if exclusive else share
        lines.append(
            _line(
                note_id, n, type="invoice_line_item", amount=net, description=line["description"],
                invoice_line_item=line["id"], tax_rates=copy.deepcopy(rates), taxes=_taxes(net, share, rates),
            )
        )  # fmt: skip
    return lines


def _taxes(net: int, gross: int, rates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    taxes = line_taxes(net, rates)
    exclusive = [t for t in taxes if t["tax_behavior"] == "exclusive"]
    if exclusive:  # the share was gross: what the exclusive taxes add up to is what it holds beyond the net
        exclusive[-1]["amount"] += gross - net - sum(t["amount"] for t in exclusive)
    return taxes


def _custom_lines(store: Store, note_id: str, params: dict[str, Any], origin: Origin) -> list[dict[str, Any]]:
    lines = []
    for n, raw in enumerate(as_list(params, "lines")):
        path = f"lines[{n}]"
        if not isinstance(raw, dict):
            raise StripeApiError(400, f"Invalid object: {path} must be a hash", param=path)
        reject_unknown(raw, LINE_PARAMS, path)
        kind = as_string(raw, "type", f"{path}[type]")
        if kind != "custom_line_item":
            raise invalid_param(
                f"{path}[type]",
                "The stand-in credits with lines of type custom_line_item (or with `amount`); "
                "invoice_line_item lines are not built.",
            )
        quantity = as_int(raw, "quantity", low=1, high=MAX_AMOUNT) or 1
        unit = as_int(raw, "unit_amount", low=0, high=MAX_AMOUNT)
        if unit is None:
            raise missing_param(f"{path}[unit_amount]")
        description = as_string(raw, "description", f"{path}[description]")
        if not description:
            raise missing_param(f"{path}[description]")
        rates = tax_rates_of(store, as_list(raw, "tax_rates"), origin, f"{path}[tax_rates]")
        amount = unit * quantity
        lines.append(
            _line(
                note_id, n, type="custom_line_item", amount=amount, description=description, quantity=quantity,
                unit_amount=unit, unit_amount_decimal=str(unit), tax_rates=rates, taxes=line_taxes(amount, rates),
                metadata=metadata_update({}, raw),
            )
        )  # fmt: skip
    return lines


def new_credit_note(note_id: str, invoice: dict[str, Any], lines: list[dict[str, Any]], created: int) -> dict[str, Any]:
    taxes = [t for line in lines for t in line["taxes"]]
    inclusive = sum(t["amount"] for t in taxes if t["tax_behavior"] == "inclusive")
    exclusive = sum(t["amount"] for t in taxes if t["tax_behavior"] == "exclusive")
    subtotal = sum(line["amount"] for line in lines)
    total = subtotal + exclusive
    return {
        "id": note_id,
        "object": "credit_note",
        "amount": total,
        "amount_shipping": 0,
        "created": created,
        "currency": invoice["currency"],
        "customer": invoice["customer"],
        "customer_account": None,
        "customer_balance_transaction": None,
        "discount_amount": 0,
        "discount_amounts": [],
        "effective_at": created,
        "invoice": invoice["id"],
        "lines": {
            "object": "list",
            "data": lines,
            "has_more": False,
            "url": f"/v1/credit_notes/{note_id}/lines",
        },
        "livemode": False,
        "memo": None,
        "metadata": {},
        "number": None,
        "out_of_band_amount": None,
        "pdf": None,
        "post_payment_amount": 0,
        "pre_payment_amount": 0,
        "pretax_credit_amounts": [],
        "reason": None,
        "refunds": [],
        "shipping_cost": None,
        "status": "issued",
        "subtotal": subtotal,
        "subtotal_excluding_tax": subtotal - inclusive,
        "total": total,
        "total_excluding_tax": total - inclusive - exclusive,
        "total_taxes": [dict(t, tax_rate_details=dict(t["tax_rate_details"])) for t in taxes],
        "type": "pre_payment",
        "voided_at": None,
    }


def _notes_of(store: Store, invoice_id: str) -> list[dict[str, Any]]:
    return [n for n in store.objects.get("credit_note", {}).values() if n["invoice"] == invoice_id]


def _intent_of(store: Store, invoice: dict[str, Any]) -> dict[str, Any] | None:
    intent_id = store.internal[invoice["id"]].get("payment_intent")
    return store.objects["payment_intent"][intent_id] if intent_id else None


def create_credit_note(store: Store, params: dict[str, Any], origin: Origin) -> dict[str, Any]:
    invoice_id = as_string(params, "invoice")
    if not invoice_id:
        raise missing_param("invoice")
    reason = as_string(params, "reason")
    if reason is not None and reason not in REASONS:
        raise invalid_param("reason", f"Invalid reason: must be one of {', '.join(REASONS)}")
    memo = as_string(params, "memo")
    if memo is not None and len(memo) > 5000:
        raise invalid_param("memo", "Invalid memo: must be at most 5000 characters")
    amount = as_int(params, "amount", low=1, high=MAX_AMOUNT)
    if amount is not None and "lines" in params:
        raise StripeApiError(400, "You may only specify one of these parameters: amount, lines.", param="lines")
    refund_amount = as_int(params, "refund_amount", low=0, high=MAX_AMOUNT) or 0
    out_of_band = as_int(params, "out_of_band_amount", low=0, high=MAX_AMOUNT)
    if as_int(params, "credit_amount", low=0, high=MAX_AMOUNT):
        raise invalid_param(
            "credit_amount", "The stand-in keeps no customer credit balances: credit_amount is not built."
        )
    with store.lock:
        invoice = records.stored(store, "invoice", invoice_id, origin.account, "invoice")
        if invoice["status"] not in ("open", "paid", "uncollectible"):
            raise StripeApiError(
                400,
                f"Credit notes can only be issued for finalized, not voided invoices; this one is {invoice['status']}.",
                code="invoice_not_editable" if invoice["status"] == "draft" else "invalid_request",
                param="invoice",
            )
        note_id = new_id("cn")
        if amount is not None:
            lines = _lines_for_amount(store, note_id, invoice, amount)
        elif "lines" in params:
            lines = _custom_lines(store, note_id, params, origin)
        else:
            raise StripeApiError(
                400, "One of amount or lines must be provided.", code="parameter_missing", param="amount"
            )
        note = new_credit_note(note_id, invoice, lines, store.clock.timestamp())
        if note["total"] <= 0:
            raise invalid_param("amount", "The credit note's total must be greater than zero.")
        issued = [n for n in _notes_of(store, invoice_id) if n["status"] == "issued"]
        creditable = invoice["total"] - sum(n["total"] for n in issued)
        if note["total"] > creditable:
            raise StripeApiError(
                400,
                f"The credit note's total ({note['total']}) is greater than what is left to credit on the invoice "
                f"({creditable}).",
                code="amount_too_large",
                param="amount",
            )
        pre = min(note["total"], invoice["amount_remaining"]) if invoice["status"] != "paid" else 0
        post = note["total"] - pre
        linked = _linked_refunds(store, params, invoice, origin)
        given_out = refund_amount + (out_of_band or 0) + sum(r["amount_refunded"] for r in linked)
        if given_out != post:
            raise StripeApiError(
                400,
                f"The sum of refund_amount, refunds, out_of_band_amount and credit_amount ({given_out}) must equal the "
                f"credit note's post-payment amount ({post}).",
                param="refund_amount",
            )
        intent = _intent_of(store, invoice)
        if refund_amount:
            if intent is None:
                raise invalid_param("refund_amount", "This invoice has no charge to refund.")
            made = refunds.create_refund(store, {"payment_intent": intent["id"], "amount": str(refund_amount)}, origin)
            linked.append({"amount_refunded": refund_amount, "refund": made["id"], "type": "refund"})
        note.update(
            reason=reason,
            memo=memo or None,
            metadata=metadata_update({}, params),
            out_of_band_amount=out_of_band,
            pre_payment_amount=pre,
            post_payment_amount=post,
            refunds=linked,
            type="pre_payment" if post == 0 else "post_payment" if pre == 0 else "mixed",
            number=f"{invoice['number']}-CN-{len(_notes_of(store, invoice_id)) + 1:02d}",
        )
        token = new_token(24)
        note["pdf"] = f"{store.base_url}/cn/{token}/pdf"
        records.add(store, note, origin.account)
        store.internal[note_id]["page"] = token
        emit(store, "credit_note.created", note, origin)
        _apply_to_invoice(store, invoice, intent, pre, post, origin)
        return copy.deepcopy(note)


def _linked_refunds(
    store: Store, params: dict[str, Any], invoice: dict[str, Any], origin: Origin
) -> list[dict[str, Any]]:
    linked = []
    intent = _intent_of(store, invoice)
    for n, raw in enumerate(as_list(params, "refunds")):
        path = f"refunds[{n}]"
        if not isinstance(raw, dict):
            raise StripeApiError(400, f"Invalid object: {path} must be a hash", param=path)
        entry = raw
        reject_unknown(entry, ("refund", "amount_refunded"), path)
        refund_id = as_string(entry, "refund", f"{path}[refund]")
        if not refund_id:
            raise missing_param(f"{path}[refund]")
        refund = records.stored(store, "refund", refund_id, origin.account, f"{path}[refund]")
        if intent is None or refund["payment_intent"] != intent["id"]:
            raise invalid_param(f"{path}[refund]", f"The refund {refund_id} is not a refund of this invoice's payment.")
        amount = as_int(entry, "amount_refunded", low=1, high=refund["amount"])
        linked.append({"amount_refunded": refund["amount"] if amount is None else amount, "refund": refund_id,
                       "type": "refund"})  # fmt: skip
    return linked


def _apply_to_invoice(
    store: Store, invoice: dict[str, Any], intent: dict[str, Any] | None, pre: int, post: int, origin: Origin
) -> None:
    before = copy.deepcopy(invoice)
    invoice["pre_payment_credit_notes_amount"] += pre
    invoice["post_payment_credit_notes_amount"] += post
    if pre:
        invoice["amount_due"] -= pre
        invoice["amount_remaining"] -= pre
        if intent is not None and intent["status"] not in ("succeeded", "canceled"):
            intent["amount"] = invoice["amount_remaining"]
    emit(store, "invoice.updated", invoice, origin, {k: before[k] for k in invoice if before[k] != invoice[k]})
    if pre and invoice["amount_remaining"] == 0 and invoice["status"] in ("open", "uncollectible"):
        # Credited down to nothing: Stripe marks the invoice paid (there is nothing left to pay).
        cancel_payment(store, invoice, origin, None)
        invoice["status"] = "paid"
        invoice["status_transitions"]["paid_at"] = store.clock.timestamp()
        invoice["next_payment_attempt"] = None
        emit(store, "invoice.paid", invoice, origin)


def void_credit_note(store: Store, note_id: str, origin: Origin) -> dict[str, Any]:
    """Undoes a note's pre-payment credit on an invoice that is still open; a note that gave money back
    (a refund) or that settled the invoice cannot be voided."""
    with store.lock:
        note = records.stored(store, "credit_note", note_id, origin.account)
        if note["status"] != "issued":
            raise StripeApiError(400, f"The credit note {note_id} is already void.", param="id")
        invoice = records.stored(store, "invoice", note["invoice"], origin.account)
        if note["refunds"]:
            raise StripeApiError(
                400, "A credit note with a refund cannot be voided: the money was given back.", param="id"
            )
        if note["pre_payment_amount"] and invoice["status"] not in ("open", "uncollectible"):
            raise StripeApiError(
                400, f"The credit note's invoice is {invoice['status']}; only credit on an open invoice can be voided.",
                param="id",
            )  # fmt: skip
        note["status"] = "void"
        note["voided_at"] = store.clock.timestamp()
        emit(store, "credit_note.voided", note, origin)
        before = copy.deepcopy(invoice)
        invoice["pre_payment_credit_notes_amount"] -= note["pre_payment_amount"]
        invoice["post_payment_credit_notes_amount"] -= note["post_payment_amount"]
        invoice["amount_due"] += note["pre_payment_amount"]
        invoice["amount_remaining"] += note["pre_payment_amount"]
        intent = _intent_of(store, invoice)
        if intent is not None and intent["status"] not in ("succeeded", "canceled"):
            intent["amount"] = invoice["amount_remaining"]
        emit(store, "invoice.updated", invoice, origin, {k: before[k] for k in invoice if before[k] != invoice[k]})
        return copy.deepcopy(note)


def note_for_page(store: Store, token: str) -> dict[str, Any] | None:
    with store.lock:
        for note in store.objects.get("credit_note", {}).values():
            if store.internal[note["id"]].get("page") == token:
                return copy.deepcopy(note)
    return None


def list_filtered(store: Store, params: dict[str, Any], account: str | None) -> list[dict[str, Any]]:
    notes = records.newest_first(store, "credit_note", account)
    for name in ("invoice", "customer"):
        if (wanted := as_string(params, name)) is not None:
            notes = [n for n in notes if n[name] == wanted]
    return notes
