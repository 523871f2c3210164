"""Numbers, money, energy and times for the current language; times in the site's time zone.

Money is integer minor units everywhere in the product; it becomes a decimal only here, for display.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime
from babel.dates import format_time as babel_format_time
from babel.numbers import format_currency, format_decimal

from ladeportal.i18n import BABEL_LOCALES, current_language

# Norwegian usage puts the currency first: "kr 1 234,50" (Språkrådet); the same order reads well in
# English as "NOK 1,234.50".
MONEY_PATTERN = "¤ #,##0.00"


def _locale(language: str | None) -> str:
    return BABEL_LOCALES.get(language or current_language(), "nb_NO")


def money(minor: int | None, currency: str, language: str | None = None) -> str:
    if minor is None:
        return ""
    amount = Decimal(minor) / 100
    return format_currency(amount, currency, format=MONEY_PATTERN, locale=_locale(language), currency_digits=False)


def number(value: float | int | Decimal | None, digits: int = 0, language: str | None = None) -> str:
    if value is None:
        return ""
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=_locale(language))


def energy_kwh(wh: int | None, language: str | None = None) -> str:
    """Meter readings are Wh; people read kWh with one decimal."""
    if wh is None:
        return ""
    return f"{number(Decimal(wh) / 1000, 1, language)} kWh"


def power_kw(w: int | None, language: str | None = None) -> str:
    """Power is stored in W; people read kW with one decimal."""
    if w is None:
        return ""
    return f"{number(Decimal(w) / 1000, 1, language)} kW"


def local_datetime(value: datetime | None, time_zone: str, style: str = "short", language: str | None = None) -> str:
    if value is None:
        return ""
    return babel_format_datetime(value, style, tzinfo=ZoneInfo(time_zone), locale=_locale(language))


def local_time(value: datetime | None, time_zone: str, language: str | None = None) -> str:
    if value is None:
        return ""
    return babel_format_time(value, "short", tzinfo=ZoneInfo(time_zone), locale=_locale(language))


def local_date(value: date | datetime | None, time_zone: str | None = None, language: str | None = None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime) and time_zone:
        value = value.astimezone(ZoneInfo(time_zone))
    return babel_format_date(value, "medium", locale=_locale(language))
