"""Checks a plan version before it is saved or used, naming every problem in words an owner reads."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from ladeportal.errors import ValidationFailed
from ladeportal.pricing.money import BASIS_POINTS, SUPPORTED_CURRENCIES
from ladeportal.pricing.plans import (
    PRICE_AREAS,
    FixedEnergyPrice,
    PlanVersion,
    PriceBand,
    SpotEnergyPrice,
    TimeFee,
    TimeOfDayEnergyPrice,
)
from ladeportal.pricing.timeline import MINUTES_PER_WEEK

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

_ORE = Decimal("0.01")
# Bounds that keep every plan readable and every cost computable: far above any real tariff, far
# below where Decimal arithmetic with 28 digits or the pages showing a price would break.
MAX_AMOUNT = Decimal(100_000)
MAX_FACTOR = Decimal(100)
_FINEST = Decimal("0.000001")
MAX_BANDS = 48
MAX_GRACE_MINUTES = 7 * 24 * 60
_AmountCheck = Callable[[str, Decimal | None], None]


class _Report(Protocol):
    def __call__(self, field: str, message: str, code: str | None = None, **params: object) -> None: ...


@dataclass(frozen=True, slots=True)
class PlanProblem:
    field: str
    message: str
    code: str | None = None
    params: dict[str, object] = dataclasses.field(default_factory=dict)


class InvalidPlan(ValidationFailed):
    """All problems found in a plan; `field` names the first so a form can focus it."""

    def __init__(self, problems: list[PlanProblem]) -> None:
        super().__init__(
            "; ".join(f"{p.field}: {p.message}" for p in problems),
            field=problems[0].field,
            code="plan.invalid",
            params={"count": len(problems)},
        )
        self.problems = tuple(problems)


def validate_plan(plan: PlanVersion) -> None:
    problems: list[PlanProblem] = []

    def problem(field: str, message: str, code: str | None = None, **params: object) -> None:
        problems.append(PlanProblem(field, message, code, params))

    def non_negative(field: str, value: Decimal | None) -> None:
        if value is None:
            return
        if not isinstance(value, Decimal) or not value.is_finite():
            problem(
                field, f"must be a finite Decimal amount, got {value!r}", code="price.amount_not_finite", value=value
            )
        elif value < 0:
            problem(field, f"must not be negative, got {value}", code="price.amount_negative", amount=value)
        elif value > (most := MAX_FACTOR if field.endswith("factor") else MAX_AMOUNT):
            problem(field, f"must be at most {most}", code="price.amount_too_large", amount=value, maximum=most)
        elif value != value.quantize(_FINEST):
            problem(field, "must have at most six decimals", code="price.amount_too_precise", decimals=6)

    if plan.currency not in SUPPORTED_CURRENCIES:
        supported = ", ".join(sorted(SUPPORTED_CURRENCIES))
        problem(
            "currency",
            f"unsupported currency {plan.currency!r}; use one of {supported}",
            code="plan.currency_unsupported",
            currency=plan.currency,
            currencies=supported,
        )
    if not isinstance(plan.vat_rate_bp, int) or not 0 <= plan.vat_rate_bp <= BASIS_POINTS:
        problem(
            "vat_rate_bp",
            f"must be basis points from 0 to 10000 (2500 = 25%), got {plan.vat_rate_bp!r}",
            code="plan.vat_rate_range",
            rate=plan.vat_rate_bp,
        )
    for name in ("start_fee", "minimum_per_session", "maximum_per_session"):
        amount = getattr(plan, name)
        non_negative(name, amount)
        # Per-session amounts are billed as they are; a fraction of an øre could never be charged.
        if (
            isinstance(amount, Decimal)
            and amount.is_finite()
            and abs(amount) <= MAX_AMOUNT
            and amount != amount.quantize(_ORE)
        ):
            problem(
                name,
                f"must be whole øre (at most two decimals), got {amount}",
                code="price.amount_fraction",
                amount=amount,
            )
    if (
        not problems
        and plan.minimum_per_session is not None
        and plan.maximum_per_session is not None
        and plan.minimum_per_session > plan.maximum_per_session
    ):
        problem(
            "minimum_per_session",
            f"minimum {plan.minimum_per_session} is above the maximum {plan.maximum_per_session}",
            code="price.minimum_above_maximum",
            minimum=plan.minimum_per_session,
            maximum=plan.maximum_per_session,
        )

    energy = plan.energy
    if isinstance(energy, FixedEnergyPrice):
        non_negative("energy.price_per_kwh", energy.price_per_kwh)
    elif isinstance(energy, TimeOfDayEnergyPrice):
        _check_bands(energy.bands, problem, non_negative)
    elif isinstance(energy, SpotEnergyPrice):
        _check_spot(energy, problem, non_negative)
    else:
        problem("energy", f"unknown energy price {type(energy).__name__}", code="plan.energy_price_unknown")

    if plan.time_fee is not None:
        _check_time_fee(plan.time_fee, problem, non_negative)

    if problems:
        raise InvalidPlan(problems)


def _check_spot(energy: SpotEnergyPrice, problem: _Report, non_negative: _AmountCheck) -> None:
    if energy.area not in PRICE_AREAS:
        areas = ", ".join(sorted(PRICE_AREAS))
        problem(
            "energy.area",
            f"unknown price area {energy.area!r}; use one of {areas}",
            code="price.area_unknown",
            area=energy.area,
            areas=areas,
        )
    non_negative("energy.factor", energy.factor)
    non_negative("energy.markup_per_kwh", energy.markup_per_kwh)
    non_negative("energy.fallback_per_kwh", energy.fallback_per_kwh)
    non_negative("energy.floor_per_kwh", energy.floor_per_kwh)
    non_negative("energy.ceiling_per_kwh", energy.ceiling_per_kwh)
    floor, ceiling = energy.floor_per_kwh, energy.ceiling_per_kwh
    if isinstance(floor, Decimal) and isinstance(ceiling, Decimal) and floor > ceiling:
        problem(
            "energy.floor_per_kwh",
            f"floor {floor} is above the ceiling {ceiling}",
            code="price.floor_above_ceiling",
            floor=floor,
            ceiling=ceiling,
        )


def _check_time_fee(fee: TimeFee, problem: _Report, non_negative: _AmountCheck) -> None:
    non_negative("time_fee.price_per_hour", fee.price_per_hour)
    if not isinstance(fee.grace_minutes, int) or fee.grace_minutes < 0:
        problem(
            "time_fee.grace_minutes",
            f"must be whole minutes, 0 or more, got {fee.grace_minutes!r}",
            code="price.grace_minutes_invalid",
        )
    elif fee.grace_minutes > MAX_GRACE_MINUTES:
        problem(
            "time_fee.grace_minutes",
            f"must be at most {MAX_GRACE_MINUTES} minutes (a week)",
            code="price.grace_minutes_too_many",
            limit=MAX_GRACE_MINUTES,
        )
    if fee.local_hours is not None and (not fee.local_hours or not fee.local_hours <= frozenset(range(24))):
        problem("time_fee.local_hours", "must be a non-empty set of hours from 0 to 23", code="price.hours_invalid")


def _check_bands(bands: tuple[PriceBand, ...], problem: _Report, non_negative: _AmountCheck) -> None:
    if not bands:
        problem("energy.bands", "add at least one band", code="price.bands_required")
        return
    if len(bands) > MAX_BANDS:
        problem("energy.bands", f"at most {MAX_BANDS} bands", code="price.bands_too_many", limit=MAX_BANDS)
        return
    owners: list[list[int]] = [[] for _ in range(MINUTES_PER_WEEK)]
    for number, band in enumerate(bands, start=1):
        field = f"energy.bands[{number}]"
        non_negative(f"{field}.price_per_kwh", band.price_per_kwh)
        if not band.weekdays or not band.weekdays <= frozenset(range(7)):
            problem(
                f"{field}.weekdays",
                "must be a non-empty set of weekdays 0 (Monday) to 6 (Sunday)",
                code="price.weekdays_required",
            )
            continue
        if any(t.second or t.microsecond or t.tzinfo for t in (band.start, band.end)):
            problem(
                field,
                "start and end must be whole minutes of local time, without a time zone",
                code="price.time_invalid",
            )
            continue
        for minute in band_week_minutes(band):
            owners[minute].append(number)
    for start, end, owner in _runs(owners):
        where = describe_week_span(start, end)
        span = WeekSpan(start, end)
        if not owner:
            problem(
                "energy.bands",
                f"no band covers {where}; bands must cover the whole week",
                code="price.bands_gap",
                span=span,
            )
        elif len(owner) > 1:
            names = " and ".join(str(n) for n in owner)
            problem(
                "energy.bands",
                f"bands {names} overlap on {where}; each minute needs exactly one band",
                code="price.bands_overlap",
                bands=", ".join(str(n) for n in owner),
                span=span,
            )


def band_week_minutes(band: PriceBand) -> list[int]:
    start = band.start.hour * 60 + band.start.minute
    end = band.end.hour * 60 + band.end.minute
    if end <= start:
        end += 24 * 60
    return [(day * 1440 + minute) % MINUTES_PER_WEEK for day in band.weekdays for minute in range(start, end)]


def _runs(owners: list[list[int]]) -> list[tuple[int, int, list[int]]]:
    runs: list[tuple[int, int, list[int]]] = []
    for minute, owner in enumerate(owners):
        if runs and runs[-1][2] == owner:
            runs[-1] = (runs[-1][0], minute + 1, owner)
        else:
            runs.append((minute, minute + 1, owner))
    return runs


@dataclass(frozen=True, slots=True)
class WeekSpan:
    """Minutes `start` (inclusive) to `end` (exclusive) of the week from Monday 00:00, local time."""

    start: int
    end: int

    def __str__(self) -> str:
        return describe_week_span(self.start, self.end)


def describe_week_span(
    start: int, end: int, day_names: tuple[str, ...] = DAY_NAMES, across: str = "%(start)s to %(end)s"
) -> str:
    """A span of the week as an owner reads it: "Mon 06:00-07:00", "Sat 22:00-24:00" or "Sun 22:00 to Mon
    06:00"; `day_names` from Monday and `across` (joining two days) in the reader's language."""
    start_day, start_minute = divmod(start, 1440)
    end_day, end_minute = divmod(end, 1440)
    begin = f"{day_names[start_day]} {start_minute // 60:02d}:{start_minute % 60:02d}"
    if end_day == start_day:
        return f"{begin}-{end_minute // 60:02d}:{end_minute % 60:02d}"
    if end_day == start_day + 1 and end_minute == 0:
        return f"{begin}-24:00"
    return across % {"start": begin, "end": f"{day_names[end_day % 7]} {end_minute // 60:02d}:{end_minute % 60:02d}"}
