"""The exact cost of one charging session under one plan version: a pure function, no I/O.

Energy comes from the meter readings (see `allocation` for how it is spread over price periods),
time fees from the connection start and stop, local-time rules from the site's IANA zone. Every line
is rounded to the øre on its own and the totals are sums of lines (see `money`). A session outside
its minimum or maximum gets one more line that brings its totals to exactly those of the limit. The
maximum always caps; the minimum, like the start fee, applies only to sessions that delivered energy:
a car that never drew power pays the time fee at most.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ladeportal.pricing.allocation import EnergyCurve, MeterReading
from ladeportal.pricing.breakdown import CostBreakdown, CostLine, LineKind, PricingWarning, Unit, WarningCode
from ladeportal.pricing.energy_prices import priced_periods
from ladeportal.pricing.money import MINOR_PER_MAJOR, split_vat
from ladeportal.pricing.plans import PlanVersion
from ladeportal.pricing.spot_series import SpotPrice, SpotPriceSeries
from ladeportal.pricing.time_fee import chargeable_minutes
from ladeportal.pricing.timeline import from_us, to_us
from ladeportal.pricing.validation import validate_plan

_WH_PER_KWH = 1000
# Wh × kr/kWh × this = øre; a multiplication because it is exact and cheaper than dividing by 10.
_ORE_PER_WH_AT_ONE_KR_PER_KWH = Decimal(MINOR_PER_MAJOR) / _WH_PER_KWH
_ONE = Decimal(1)
_NO_SPOT_PRICES = SpotPriceSeries(())


@lru_cache(maxsize=1024)
def _validated(plan: PlanVersion) -> PlanVersion:
    validate_plan(plan)
    return plan


@lru_cache(maxsize=64)
def _check_zone(time_zone: str) -> None:
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {time_zone!r}; use an IANA name such as Europe/Oslo") from error


def price_session(
    plan: PlanVersion,
    *,
    meter_readings: Sequence[MeterReading],
    connected_at: datetime,
    disconnected_at: datetime,
    time_zone: str,
    spot_prices: SpotPriceSeries | Sequence[SpotPrice] = _NO_SPOT_PRICES,
) -> CostBreakdown:
    """Price a finished session (or quote a planned one from two readings).

    Raises `InvalidPlan` for a plan that fails validation and ValueError for naive datetimes or
    overlapping spot prices; anything merely doubtful is priced and reported in `warnings`.
    """
    _validated(plan)
    _check_zone(time_zone)
    includes_vat, vat_rate_bp = plan.prices_include_vat, plan.vat_rate_bp
    warnings: list[PricingWarning] = []
    lines: list[CostLine] = []

    def add_line(
        kind: LineKind,
        quantity: Decimal,
        unit: Unit,
        unit_price: Decimal,
        amount_minor: Decimal,
        *,
        period: tuple[int, int] | None = None,
        energy_wh: int = 0,
        label: str = "",
    ) -> None:
        amounts = split_vat(amount_minor, vat_rate_bp=vat_rate_bp, includes_vat=includes_vat)
        lines.append(
            CostLine(
                kind,
                quantity,
                unit,
                unit_price,
                amounts.net,
                amounts.vat,
                amounts.gross,
                period_start=moment(period[0]) if period else None,
                period_end=moment(period[1]) if period else None,
                energy_wh=energy_wh,
                label=label,
            )
        )

    moments: dict[int, datetime] = {}

    def moment(us: int) -> datetime:
        # Neighbouring lines share a boundary; building each datetime once is a measurable saving.
        found = moments.get(us)
        if found is None:
            found = moments[us] = from_us(us)
        return found

    curve = EnergyCurve.from_readings(meter_readings)
    if len(curve.times_us) < 2:
        warnings.append(
            PricingWarning(WarningCode.TOO_FEW_METER_READINGS, "fewer than two meter readings; no energy is billed")
        )
    if curve.went_backwards:
        warnings.append(
            PricingWarning(
                WarningCode.METER_WENT_BACKWARDS,
                "a meter reading was lower than the one before; that step bills no energy",
            )
        )
    energy_wh = curve.total_wh

    if energy_wh > 0:
        periods = priced_periods(
            plan.energy,
            curve.start_us,
            curve.end_us,
            zone_key=time_zone,
            spot=SpotPriceSeries.of(spot_prices),
            vat_rate_bp=vat_rate_bp,
            includes_vat=includes_vat,
        )
        previous_wh = curve.wh_at(curve.start_us)
        for period in periods:
            cumulative_wh = curve.wh_at(period.end_us)
            period_wh, previous_wh = cumulative_wh - previous_wh, cumulative_wh
            if period.is_fallback:
                warnings.append(
                    PricingWarning(
                        WarningCode.SPOT_PRICE_MISSING,
                        "no spot price published; the plan's fallback price was used",
                        from_us(period.start_us),
                        from_us(period.end_us),
                    )
                )
            if period_wh == 0:
                continue
            price = period.price_per_kwh
            add_line(
                LineKind.ENERGY,
                Decimal(period_wh) / _WH_PER_KWH,
                Unit.KWH,
                price,
                period_wh * price * _ORE_PER_WH_AT_ONE_KR_PER_KWH,
                period=(period.start_us, period.end_us),
                energy_wh=period_wh,
                label=period.label,
            )

    connected_us, disconnected_us = to_us(connected_at), to_us(disconnected_at)
    if disconnected_us < connected_us:
        warnings.append(
            PricingWarning(
                WarningCode.DISCONNECTED_BEFORE_CONNECTED,
                "the connection ends before it starts; no time fee is billed",
            )
        )
    fee = plan.time_fee
    if fee is not None:
        minutes = chargeable_minutes(fee, connected_us, disconnected_us, zone_key=time_zone)
        if minutes > 0:
            add_line(
                LineKind.TIME,
                Decimal(minutes),
                Unit.MINUTE,
                fee.price_per_hour / 60,
                minutes * fee.price_per_hour * MINOR_PER_MAJOR / 60,
            )

    if energy_wh > 0 and plan.start_fee > 0:
        add_line(LineKind.START_FEE, _ONE, Unit.SESSION, plan.start_fee, plan.start_fee * MINOR_PER_MAJOR)

    if energy_wh > 0 and plan.minimum_per_session is not None:
        _limit_to(plan.minimum_per_session, LineKind.MINIMUM, lines, vat_rate_bp, includes_vat)
    if plan.maximum_per_session is not None:
        _limit_to(plan.maximum_per_session, LineKind.MAXIMUM, lines, vat_rate_bp, includes_vat)

    return CostBreakdown(
        currency=plan.currency,
        vat_rate_bp=vat_rate_bp,
        prices_include_vat=includes_vat,
        energy_wh=energy_wh,
        lines=tuple(lines),
        net=sum(line.net for line in lines),
        vat=sum(line.vat for line in lines),
        total=sum(line.gross for line in lines),
        warnings=tuple(warnings),
    )


def _limit_to(limit: Decimal, kind: LineKind, lines: list[CostLine], vat_rate_bp: int, includes_vat: bool) -> None:
    """Add the line that brings the session to exactly the minimum or maximum, if it is outside it.

    The limit is compared with the gross total, and the line takes up the difference in net, VAT and
    gross separately, so a limited session bills exactly what a single line of the limit would.
    Comparing gross (not a sum of separately rounded VAT) keeps the total monotone in the usage.
    """
    target = split_vat(limit * MINOR_PER_MAJOR, vat_rate_bp=vat_rate_bp, includes_vat=includes_vat)
    gross = sum(line.gross for line in lines)
    if (kind is LineKind.MINIMUM and gross >= target.gross) or (kind is LineKind.MAXIMUM and gross <= target.gross):
        return
    net = sum(line.net for line in lines)
    difference = (target.gross - gross) if includes_vat else (target.net - net)
    lines.append(
        CostLine(
            kind,
            _ONE,
            Unit.SESSION,
            Decimal(difference) / MINOR_PER_MAJOR,
            net=target.net - net,
            vat=target.vat - sum(line.vat for line in lines),
            gross=target.gross - gross,
        )
    )
