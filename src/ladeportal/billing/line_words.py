"""The words of a member's invoice lines, in the member's language (nb, en or sv).

A billable item stores its description once, in Norwegian (the finance pages show it); the invoice the
member gets at Stripe is worded again from the item's facts: its site, the day the session ended or the
month, the plan. Manual items keep the text the administrator typed. The wording lives here rather than
in the portal's catalogues because members read Swedish too, which the portal does not speak.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date

from ladeportal.billing.invoice_models import ItemKind
from ladeportal.i18n import BABEL_LOCALES

LANGUAGES = ("nb", "en", "sv")
MAX_DESCRIPTION = 200
_WORDS = {
    "nb": {"session": "Lading {site} {day}", "month": "Lading {site} {month}", "fee": "Månedsavgift {plan} {month}"},
    "en": {"session": "Charging {site} {day}", "month": "Charging {site} {month}", "fee": "Monthly fee {plan} {month}"},
    "sv": {
        "session": "Laddning {site} {day}",
        "month": "Laddning {site} {month}",
        "fee": "Månadsavgift {plan} {month}",
    },
}
# Day as digits in each language's own order and separators (05.10.2026, 05/10/2026, 2026-10-05).
_DAY_FORMAT = {"nb": "dd.MM.yyyy", "en": "dd/MM/yyyy", "sv": "yyyy-MM-dd"}


def language_of(value: str | None) -> str:
    return value if value in LANGUAGES else "nb"


def _month(month: date, language: str) -> str:
    return format_date(month, "LLLL yyyy", locale=BABEL_LOCALES[language])


def _clean(text: str) -> str:
    return " ".join(text.split())[:MAX_DESCRIPTION]


def session_words(site: str, ended: datetime, time_zone: str, language: str) -> str:
    language = language_of(language)
    day = format_date(
        ended.astimezone(ZoneInfo(time_zone)).date(), _DAY_FORMAT[language], locale=BABEL_LOCALES[language]
    )
    return _clean(_WORDS[language]["session"].format(site=site, day=day))


def site_month_words(site: str, month: date, language: str) -> str:
    language = language_of(language)
    return _clean(_WORDS[language]["month"].format(site=site, month=_month(month, language)))


def fee_words(plan: str, month: date, language: str) -> str:
    language = language_of(language)
    return _clean(_WORDS[language]["fee"].format(plan=plan, month=_month(month, language)))


def item_words(item: Any, site_names: dict[Any, str], plan_names: dict[Any, str], time_zone: str, language: str) -> str:
    """One item's line in `language`; the stored description where the facts to word it are missing."""
    if item.kind == ItemKind.session and item.site_id in site_names:
        return session_words(site_names[item.site_id], item.occurred_at, time_zone, language)
    if item.kind == ItemKind.plan_fee and item.plan_id in plan_names:
        return fee_words(plan_names[item.plan_id], item.period_month, language)
    return str(item.description)
