"""A plan in plain words for drivers and owners, in Norwegian (bokmål) or English.

Example (nb): "kr 2,50 per kWh inkl. mva, kr 20 per time etter 4 timer".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import time
from decimal import Decimal

from babel.numbers import format_currency, format_decimal

from ladeportal.pricing.plan_codec import PlanDefinition
from ladeportal.pricing.plans import (
    FixedEnergyPrice,
    PlanVersion,
    PriceBand,
    TimeFee,
    TimeOfDayEnergyPrice,
)


@dataclass(frozen=True, slots=True)
class _Words:
    babel_locale: str
    days: tuple[str, ...]
    every_day: str
    incl_vat: str
    excl_vat: str
    free: str
    spot: str
    per_hour: str
    after: str
    hour: str
    hours: str
    minutes: str
    between: str
    start_fee: str
    minimum: str
    maximum: str
    per_kwh_floor: str
    per_kwh_ceiling: str
    monthly_fee: str
    monthly_fee_pro_rata: str


_NB = _Words(
    babel_locale="nb_NO",
    days=("man", "tir", "ons", "tor", "fre", "lør", "søn"),
    every_day="alle dager",
    incl_vat="inkl. mva",
    excl_vat="eks. mva",
    free="Gratis lading",
    spot="spotpris",
    per_hour="per time",
    after="etter",
    hour="time",
    hours="timer",
    minutes="minutter",
    between="kl.",
    start_fee="startavgift",
    minimum="minst {} per lading",
    maximum="høyst {} per lading",
    per_kwh_floor="minst {} per kWh",
    per_kwh_ceiling="høyst {} per kWh",
    monthly_fee="{} per medlem per måned",
    monthly_fee_pro_rata="{} per medlem per måned (etter antall dager som medlem)",
)
_EN = _Words(
    babel_locale="en",
    days=("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    every_day="every day",
    incl_vat="incl. VAT",
    excl_vat="excl. VAT",
    free="Free charging",
    spot="spot price",
    per_hour="per hour",
    after="after",
    hour="hour",
    hours="hours",
    minutes="minutes",
    between="during",
    start_fee="start fee",
    minimum="minimum {} per session",
    maximum="maximum {} per session",
    per_kwh_floor="at least {} per kWh",
    per_kwh_ceiling="at most {} per kWh",
    monthly_fee="{} per member per month",
    monthly_fee_pro_rata="{} per member per month (by the days of membership)",
)
_LANGUAGES = {"nb": _NB, "en": _EN}

_Money = Callable[[Decimal], str]


def describe_plan(
    plan: PlanVersion,
    locale: str = "nb",
    *,
    monthly_fee: Decimal = Decimal(0),
    monthly_fee_basis: str = "whole_months",
) -> str:
    """Describe a plan; `locale` is "nb" or "en" (a region such as "nb_NO" or "en_GB" is accepted).
    The monthly fee per member (from the plan's definition, in the plan's VAT basis) is named last."""
    language = locale.replace("-", "_").split("_")[0].lower()
    if language not in _LANGUAGES:
        raise ValueError(f"no plan description in {locale!r}; use one of {', '.join(_LANGUAGES)}")
    words = _LANGUAGES[language]

    def money(amount: Decimal) -> str:
        pattern = "¤ #,##0" if amount == amount.to_integral_value() else "¤ #,##0.00##"
        return format_currency(amount, plan.currency, format=pattern, locale=words.babel_locale, currency_digits=False)

    vat = words.incl_vat if plan.prices_include_vat else words.excl_vat
    fee = ""
    if monthly_fee > 0:
        pattern = words.monthly_fee_pro_rata if monthly_fee_basis == "pro_rata" else words.monthly_fee
        fee = pattern.format(f"{money(monthly_fee)} {vat}")
    if _is_free(plan):
        return f"{words.free}, {fee}" if fee else words.free
    parts = [f"{_describe_energy(plan, words, money)} {vat}"]
    if plan.time_fee is not None and plan.time_fee.price_per_hour > 0:
        parts.append(_describe_time_fee(plan.time_fee, words, money))
    if plan.start_fee > 0:
        parts.append(f"{words.start_fee} {money(plan.start_fee)}")
    if plan.minimum_per_session is not None and plan.minimum_per_session > 0:
        parts.append(words.minimum.format(money(plan.minimum_per_session)))
    if plan.maximum_per_session is not None:
        parts.append(words.maximum.format(money(plan.maximum_per_session)))
    if fee:
        parts.append(fee)
    return ", ".join(parts)


def _is_free(plan: PlanVersion) -> bool:
    return (
        isinstance(plan.energy, FixedEnergyPrice)
        and plan.energy.price_per_kwh == 0
        and (plan.time_fee is None or plan.time_fee.price_per_hour == 0)
        and plan.start_fee == 0
        and not plan.minimum_per_session
    )


def _describe_energy(plan: PlanVersion, words: _Words, money: _Money) -> str:
    energy = plan.energy
    if isinstance(energy, FixedEnergyPrice):
        return f"{money(energy.price_per_kwh)} per kWh"
    if isinstance(energy, TimeOfDayEnergyPrice):
        return ", ".join(_describe_band(band, words, money) for band in energy.bands)
    text = f"{words.spot} ({energy.area})"
    if energy.factor != 1:
        text += f" × {format_decimal(energy.factor, locale=words.babel_locale)}"
    if energy.markup_per_kwh:
        text += f" + {money(energy.markup_per_kwh)}"
    text += " per kWh"
    limits = []
    if energy.floor_per_kwh is not None:
        limits.append(words.per_kwh_floor.format(money(energy.floor_per_kwh)))
    if energy.ceiling_per_kwh is not None:
        limits.append(words.per_kwh_ceiling.format(money(energy.ceiling_per_kwh)))
    return ", ".join([text, *limits])


def _describe_band(band: PriceBand, words: _Words, money: _Money) -> str:
    span = "00:00–24:00" if band.start == band.end == time(0) else f"{_clock(band.start)}–{_clock(band.end)}"
    text = f"{money(band.price_per_kwh)} per kWh {_days(band.weekdays, words)} {span}"
    return f"{text} ({band.label})" if band.label else text


def _describe_time_fee(fee: TimeFee, words: _Words, money: _Money) -> str:
    text = f"{money(fee.price_per_hour)} {words.per_hour}"
    if fee.grace_minutes:
        hours, minutes = divmod(fee.grace_minutes, 60)
        if minutes:
            text += f" {words.after} {fee.grace_minutes} {words.minutes}"
        else:
            text += f" {words.after} {hours} {words.hour if hours == 1 else words.hours}"
    if fee.local_hours is not None and len(fee.local_hours) < 24:
        spans = [f"{start:02d}:00–{end:02d}:00" for start, end in _hour_spans(fee.local_hours)]
        text += f" {words.between} {', '.join(spans)}"
    return text


def _clock(moment: time) -> str:
    return f"{moment.hour:02d}:{moment.minute:02d}"


def _days(weekdays: frozenset[int], words: _Words) -> str:
    if len(weekdays) == 7:
        return words.every_day
    spans = []
    for first, last in _circular_runs(sorted(weekdays), 7):
        names = words.days
        spans.append(names[first] if first == last else f"{names[first]}–{names[last]}")
    return ", ".join(spans)


def _hour_spans(hours: frozenset[int]) -> list[tuple[int, int]]:
    return [(first, (last + 1) % 24) for first, last in _circular_runs(sorted(hours), 24)]


def _circular_runs(values: list[int], modulus: int) -> list[tuple[int, int]]:
    """Runs of consecutive values, joining the end to the start (Sun–Mon, 23–00)."""
    runs: list[list[int]] = []
    for value in values:
        if runs and value == runs[-1][1] + 1:
            runs[-1][1] = value
        else:
            runs.append([value, value])
    if len(runs) > 1 and runs[0][0] == 0 and runs[-1][1] == modulus - 1:
        runs[0][0] = runs.pop()[0]
    return [(first, last) for first, last in runs]


def describe_definition(definition: PlanDefinition, locale: str = "nb") -> str:
    """A stored plan version in words, its monthly fee per member included."""
    return describe_plan(
        definition.plan,
        locale,
        monthly_fee=definition.monthly_fee_per_member,
        monthly_fee_basis=definition.monthly_fee_basis,
    )
