"""A plan definition as JSON and back: what a price plan version stores and the API exchanges.

Amounts are strings ("2.50") so Decimals survive JSON, SQLite and PostgreSQL exactly. Decoding
collects every problem with its field (as `validate_plan` does) instead of stopping at the first.
The monthly fee per member is not part of a session's price, so it lives beside the engine's
`PlanVersion` in `PlanDefinition`, in the same VAT basis as every other price of the plan.

    {"prices_include_vat": true, "vat_rate_bp": 2500, "currency": "NOK",
     "energy": {"type": "fixed", "price_per_kwh": "2.50"}
             | {"type": "time_of_day", "bands": [{"weekdays": [0, 1, 2, 3, 4, 5, 6], "start": "22:00",
                                                  "end": "06:00", "price_per_kwh": "1.00", "label": "natt"}]}
             | {"type": "spot", "area": "NO1", "factor": "1", "markup_per_kwh": "0.30",
                "fallback_per_kwh": "2.00", "floor_per_kwh": null, "ceiling_per_kwh": "5.00"}
             | {"type": "free"},
     "time_fee": null | {"price_per_hour": "20", "grace_minutes": 240, "local_hours": [8, 9] | null},
     "start_fee": "0", "minimum_per_session": null, "maximum_per_session": null,
     "monthly_fee_per_member": "0", "monthly_fee_basis": "whole_months" | "pro_rata"}

`monthly_fee_basis` says how a member who joins or leaves during a month pays the fee: the whole fee
for any day of membership in the month, or the share of the month's days they were a member
(billing/plan_fees.py). Stored versions from before it existed read as "whole_months".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from decimal import Decimal, InvalidOperation
from typing import Any

from ladeportal.pricing.money import BASIS_POINTS, SUPPORTED_CURRENCIES
from ladeportal.pricing.plans import (
    EnergyPrice,
    FixedEnergyPrice,
    PlanVersion,
    PriceBand,
    SpotEnergyPrice,
    TimeFee,
    TimeOfDayEnergyPrice,
)
from ladeportal.pricing.validation import MAX_AMOUNT, InvalidPlan, PlanProblem, validate_plan

_ORE = Decimal("0.01")
ENERGY_TYPES = ("fixed", "time_of_day", "spot", "free")
WHOLE_MONTHS = "whole_months"
PRO_RATA = "pro_rata"
FEE_BASES = (WHOLE_MONTHS, PRO_RATA)


@dataclass(frozen=True, slots=True)
class PlanDefinition:
    plan: PlanVersion
    monthly_fee_per_member: Decimal = Decimal(0)
    monthly_fee_basis: str = WHOLE_MONTHS


class _Reader:
    """Reads fields from untrusted JSON, noting problems and returning placeholders to carry on."""

    def __init__(self) -> None:
        self.problems: list[PlanProblem] = []

    def problem(self, field: str, message: str, code: str | None = None, **params: object) -> None:
        self.problems.append(PlanProblem(field, message, code, params))

    def amount(
        self, data: Mapping[str, Any], key: str, where: str, *, default: Decimal | None = None, optional: bool = False
    ) -> Any:
        value = data.get(key)
        if value is None:
            if optional or default is not None:
                return default
            self.problem(f"{where}{key}", "is required", code="price.required")
            return Decimal(0)
        if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
            # A float has already lost the exact decimal the owner typed: send amounts as strings.
            self.problem(
                f"{where}{key}",
                f'must be an amount written as a string like "2.50", got {value!r}',
                code="plan.amount_not_text",
                value=value,
            )
            return Decimal(0)
        try:
            amount = Decimal(value.strip() if isinstance(value, str) else value)
        except InvalidOperation:
            self.problem(f"{where}{key}", f"{value!r} is not an amount", code="price.not_an_amount", value=value)
            return Decimal(0)
        if not amount.is_finite():
            self.problem(
                f"{where}{key}", f"{value!r} is not a finite amount", code="price.amount_not_finite", value=value
            )
            return Decimal(0)
        return amount

    def whole(self, data: Mapping[str, Any], key: str, where: str, default: int | None = None) -> int:
        value = data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(f"{where}{key}", f"must be a whole number, got {value!r}", code="price.whole_number_required")
            return 0
        return value

    def integers(self, value: Any, field: str) -> frozenset[int]:
        if not isinstance(value, list) or any(isinstance(v, bool) or not isinstance(v, int) for v in value):
            self.problem(field, f"must be a list of whole numbers, got {value!r}", code="plan.whole_numbers_required")
            return frozenset()
        return frozenset(value)

    def clock(self, value: Any, field: str) -> time:
        if isinstance(value, str) and value.strip() == "24:00":
            return time(0)  # an end of "24:00" is midnight, which the bands read as the end of the day
        try:
            parsed = time.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            parsed = None
        if parsed is None or parsed.second or parsed.microsecond or parsed.tzinfo:
            self.problem(field, f'must be a local time like "06:00", got {value!r}', code="price.time_invalid")
            return time(0)
        return parsed

    def mapping(self, value: Any, field: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            self.problem(field, f"must be an object, got {value!r}", code="plan.object_required", name=field)
            return {}
        return value


def plan_from_json(data: Mapping[str, Any]) -> PlanDefinition:
    """Decode and validate; raises `InvalidPlan` naming every bad field."""
    read = _Reader()
    data = read.mapping(data, "plan")
    energy = _energy_from_json(read, read.mapping(data.get("energy"), "energy"))
    fee_data = data.get("time_fee")
    time_fee = None if fee_data is None else _time_fee_from_json(read, read.mapping(fee_data, "time_fee"))
    include = data.get("prices_include_vat")
    if not isinstance(include, bool):
        read.problem("prices_include_vat", f"must be true or false, got {include!r}", code="plan.vat_included_required")
    currency = data.get("currency")
    if not isinstance(currency, str) or currency not in SUPPORTED_CURRENCIES:
        supported = ", ".join(sorted(SUPPORTED_CURRENCIES))
        read.problem(
            "currency",
            f"must be a currency code, one of {supported}, got {currency!r}",
            code="plan.currency_unsupported",
            currency=currency,
            currencies=supported,
        )
    vat_rate_bp = read.whole(data, "vat_rate_bp", "")
    if not 0 <= vat_rate_bp <= BASIS_POINTS:
        read.problem(
            "vat_rate_bp",
            f"must be basis points from 0 to {BASIS_POINTS} (2500 = 25%), got {vat_rate_bp}",
            code="plan.vat_rate_range",
            rate=vat_rate_bp,
        )
    monthly = read.amount(data, "monthly_fee_per_member", "", default=Decimal(0))
    basis = data.get("monthly_fee_basis", WHOLE_MONTHS)
    if basis not in FEE_BASES:
        read.problem(
            "monthly_fee_basis",
            f"must be one of {', '.join(FEE_BASES)}, got {basis!r}",
            code="plan.monthly_fee_basis_unknown",
            basis=basis,
            bases=", ".join(FEE_BASES),
        )
    plan = PlanVersion(
        energy=energy,
        vat_rate_bp=vat_rate_bp,
        prices_include_vat=bool(include),
        currency=str(currency),
        time_fee=time_fee,
        start_fee=read.amount(data, "start_fee", "", default=Decimal(0)),
        minimum_per_session=read.amount(data, "minimum_per_session", "", optional=True),
        maximum_per_session=read.amount(data, "maximum_per_session", "", optional=True),
    )
    if read.problems:
        raise InvalidPlan(read.problems)
    validate_plan(plan)
    if monthly < 0:
        read.problem(
            "monthly_fee_per_member",
            f"must not be negative, got {monthly}",
            code="price.amount_negative",
            amount=monthly,
        )
    elif not monthly.is_finite() or monthly > MAX_AMOUNT:
        read.problem(
            "monthly_fee_per_member",
            f"must be at most {MAX_AMOUNT}",
            code="price.amount_too_large",
            amount=monthly,
            maximum=MAX_AMOUNT,
        )
    elif monthly != monthly.quantize(_ORE):
        read.problem(
            "monthly_fee_per_member",
            f"must be whole øre (at most two decimals), got {monthly}",
            code="price.amount_fraction",
            amount=monthly,
        )
    if read.problems:
        raise InvalidPlan(read.problems)
    return PlanDefinition(plan, monthly, str(basis))


def _energy_from_json(read: _Reader, data: Mapping[str, Any]) -> EnergyPrice:
    kind = data.get("type")
    if kind == "free":
        return FixedEnergyPrice(Decimal(0))
    if kind == "fixed":
        return FixedEnergyPrice(read.amount(data, "price_per_kwh", "energy."))
    if kind == "spot":
        area = data.get("area")
        return SpotEnergyPrice(
            area=area.strip().upper() if isinstance(area, str) else repr(area),
            fallback_per_kwh=read.amount(data, "fallback_per_kwh", "energy."),
            factor=read.amount(data, "factor", "energy.", default=Decimal(1)),
            markup_per_kwh=read.amount(data, "markup_per_kwh", "energy.", default=Decimal(0)),
            floor_per_kwh=read.amount(data, "floor_per_kwh", "energy.", optional=True),
            ceiling_per_kwh=read.amount(data, "ceiling_per_kwh", "energy.", optional=True),
        )
    if kind == "time_of_day":
        bands = data.get("bands")
        if not isinstance(bands, list):
            read.problem("energy.bands", "must be a list of bands", code="plan.bands_list_required")
            bands = []
        return TimeOfDayEnergyPrice(tuple(_band(read, band, n) for n, band in enumerate(bands, start=1)))
    read.problem(
        "energy.type",
        f"must be one of {', '.join(ENERGY_TYPES)}, got {kind!r}",
        code="plan.energy_type_unknown",
        type=kind,
        types=", ".join(ENERGY_TYPES),
    )
    return FixedEnergyPrice(Decimal(0))


def _band(read: _Reader, value: Any, number: int) -> PriceBand:
    where = f"energy.bands[{number}]"
    data = read.mapping(value, where)
    label = data.get("label", "")
    return PriceBand(
        weekdays=read.integers(data.get("weekdays"), f"{where}.weekdays"),
        start=read.clock(data.get("start"), f"{where}.start"),
        end=read.clock(data.get("end"), f"{where}.end"),
        price_per_kwh=read.amount(data, "price_per_kwh", f"{where}."),
        label=label if isinstance(label, str) else "",
    )


def _time_fee_from_json(read: _Reader, data: Mapping[str, Any]) -> TimeFee:
    hours = data.get("local_hours")
    return TimeFee(
        price_per_hour=read.amount(data, "price_per_hour", "time_fee."),
        grace_minutes=read.whole(data, "grace_minutes", "time_fee.", default=0),
        local_hours=None if hours is None else read.integers(hours, "time_fee.local_hours"),
    )


def _text(amount: Decimal | None) -> str | None:
    return None if amount is None else str(amount)


def plan_to_json(definition: PlanDefinition) -> dict[str, Any]:
    plan = definition.plan
    fee = plan.time_fee
    return {
        "prices_include_vat": plan.prices_include_vat,
        "vat_rate_bp": plan.vat_rate_bp,
        "currency": plan.currency,
        "energy": _energy_to_json(plan.energy),
        "time_fee": None
        if fee is None
        else {
            "price_per_hour": str(fee.price_per_hour),
            "grace_minutes": fee.grace_minutes,
            "local_hours": None if fee.local_hours is None else sorted(fee.local_hours),
        },
        "start_fee": str(plan.start_fee),
        "minimum_per_session": _text(plan.minimum_per_session),
        "maximum_per_session": _text(plan.maximum_per_session),
        "monthly_fee_per_member": str(definition.monthly_fee_per_member),
        "monthly_fee_basis": definition.monthly_fee_basis,
    }


def _energy_to_json(energy: EnergyPrice) -> dict[str, Any]:
    if isinstance(energy, FixedEnergyPrice):
        return {"type": "fixed", "price_per_kwh": str(energy.price_per_kwh)}
    if isinstance(energy, TimeOfDayEnergyPrice):
        return {
            "type": "time_of_day",
            "bands": [
                {
                    "weekdays": sorted(b.weekdays),
                    "start": f"{b.start:%H:%M}",
                    "end": f"{b.end:%H:%M}",
                    "price_per_kwh": str(b.price_per_kwh),
                    "label": b.label,
                }
                for b in energy.bands
            ],
        }
    return {
        "type": "spot",
        "area": energy.area,
        "factor": str(energy.factor),
        "markup_per_kwh": str(energy.markup_per_kwh),
        "fallback_per_kwh": str(energy.fallback_per_kwh),
        "floor_per_kwh": _text(energy.floor_per_kwh),
        "ceiling_per_kwh": _text(energy.ceiling_per_kwh),
    }
