"""A quote's lines and a plan's prices in plain words, in a given language: on the owner's page and as the
descriptions of the lines at Stripe (in the organisation's language, so the invoice reads as the page)."""

from __future__ import annotations

from typing import Any

from ladeportal.i18n import N_, translations
from ladeportal.i18n.formatting import money
from ladeportal.subscriptions.models import PlanUnit

UNIT_WORDS = {
    PlanUnit.charger: (N_("charger"), N_("chargers")),
    PlanUnit.connector: (N_("connector"), N_("connectors")),
}


def unit_word(unit: PlanUnit, count: int, language: str) -> str:
    singular, plural = UNIT_WORDS[unit]
    return translations(language).ngettext(singular, plural, count)


def line_text(line: dict[str, Any], unit: PlanUnit, currency: str, language: str) -> str:
    t = translations(language)
    price = money(line["unit_price_minor"], currency, language)
    if line["kind"] == "tier":
        return t.gettext("%(units)d %(unit)s (no. %(first)d-%(last)d) x %(price)s per month x 3 months") % {
            "units": line["units"],
            "unit": unit_word(unit, line["units"], language),
            "first": line["first_unit"],
            "last": line["last_unit"],
            "price": price,
        }
    if line["kind"] == "minimum":
        return t.gettext("Top-up to the plan's minimum per quarter")
    return t.gettext("%(units)d %(unit)s added last quarter: %(days)d of %(total)d days x %(price)s per month") % {
        "units": line["units"],
        "unit": unit_word(unit, line["units"], language),
        "days": line["first_unit"],
        "total": line["last_unit"],
        "price": price,
    }


def tier_text(tier: dict[str, Any], start: int, unit: PlanUnit, currency: str, language: str) -> str:
    t = translations(language)
    price = money(tier["unit_price_minor"], currency, language)
    if tier["up_to"] is None:
        return t.gettext("From no. %(first)d: %(price)s per %(unit)s and month") % {
            "first": start,
            "price": price,
            "unit": unit_word(unit, 1, language),
        }
    return t.gettext("No. %(first)d-%(last)d: %(price)s per %(unit)s and month") % {
        "first": start,
        "last": tier["up_to"],
        "price": price,
        "unit": unit_word(unit, 1, language),
    }


def price_list(tiers: list[dict[str, Any]], unit: PlanUnit, currency: str, language: str) -> list[str]:
    texts, start = [], 1
    for tier in tiers:
        texts.append(tier_text(tier, start, unit, currency, language))
        start = (tier["up_to"] or 0) + 1
    return texts
