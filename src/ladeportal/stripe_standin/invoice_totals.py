"""An invoice's money, as Stripe works it out: each line's taxes from its tax rates (or the invoice's
default ones), rounded per line half away from zero; an inclusive rate takes its tax out of the line's
amount, an exclusive one adds it on top. All amounts are integers in the currency's minor unit."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any


def rounded(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _tax(amount: int, rate: dict[str, Any], taxable: int) -> dict[str, Any]:
    return {
        "amount": amount,
        "tax_behavior": "inclusive" if rate["inclusive"] else "exclusive",
        "tax_rate_details": {"tax_rate": rate["id"]},
        "taxability_reason": "standard_rated",
        "taxable_amount": taxable,
        "type": "tax_rate_details",
    }


def line_taxes(amount: int, rates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    inclusive = [r for r in rates if r["inclusive"]]
    exclusive = [r for r in rates if not r["inclusive"]]
    taxable = amount
    taxes = []
    if inclusive:
        combined = sum(Decimal(str(r["percentage"])) for r in inclusive)
        taxable = rounded(Decimal(amount) * 100 / (100 + combined))
        left = amount - taxable  # the inclusive taxes add up to exactly what the price holds beyond the net
        for position, rate in enumerate(inclusive):
            last = position == len(inclusive) - 1
            share = left if last else rounded(Decimal(taxable) * Decimal(str(rate["percentage"])) / 100)
            left -= share
            taxes.append(_tax(share, rate, taxable))
    for rate in exclusive:
        taxes.append(_tax(rounded(Decimal(taxable) * Decimal(str(rate["percentage"])) / 100), rate, taxable))
    return taxes


def invoice_totals(lines: list[dict[str, Any]], amount_paid: int) -> dict[str, Any]:
    subtotal = sum(line["amount"] for line in lines)
    taxes = [tax for line in lines for tax in line["taxes"]]
    inclusive = sum(t["amount"] for t in taxes if t["tax_behavior"] == "inclusive")
    exclusive = sum(t["amount"] for t in taxes if t["tax_behavior"] == "exclusive")
    by_rate: dict[tuple[str, str], dict[str, Any]] = {}
    for tax in taxes:
        key = (tax["tax_rate_details"]["tax_rate"], tax["tax_behavior"])
        if key in by_rate:
            by_rate[key]["amount"] += tax["amount"]
            by_rate[key]["taxable_amount"] += tax["taxable_amount"]
        else:
            by_rate[key] = dict(tax, tax_rate_details=dict(tax["tax_rate_details"]))
    total = subtotal + exclusive
    return {
        "subtotal": subtotal,
        "subtotal_excluding_tax": subtotal - inclusive,
        "total": total,
        "total_excluding_tax": total - inclusive - exclusive,
        "total_taxes": list(by_rate.values()),
        "amount_due": total,
        "amount_remaining": max(total - amount_paid, 0),
    }
