"""What a priced session costs, line by line, in integer minor units (øre)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


class LineKind(StrEnum):
    ENERGY = "energy"
    TIME = "time"
    START_FEE = "start_fee"
    MINIMUM = "minimum"
    MAXIMUM = "maximum"


class Unit(StrEnum):
    KWH = "kWh"
    MINUTE = "min"
    SESSION = "session"


@dataclass(frozen=True, slots=True)
class CostLine:
    """One billable line. `unit_price` is per `unit` in the plan's entered basis (incl. or excl. VAT)
    and is exact; for time lines it is the hourly price / 60, so it may show rounded on an invoice.
    net + vat == gross always holds."""

    kind: LineKind
    quantity: Decimal
    unit: Unit
    unit_price: Decimal
    net: int
    vat: int
    gross: int
    period_start: datetime | None = None
    period_end: datetime | None = None
    energy_wh: int = 0
    label: str = ""


class WarningCode(StrEnum):
    SPOT_PRICE_MISSING = "spot_price_missing"
    METER_WENT_BACKWARDS = "meter_went_backwards"
    TOO_FEW_METER_READINGS = "too_few_meter_readings"
    DISCONNECTED_BEFORE_CONNECTED = "disconnected_before_connected"


@dataclass(frozen=True, slots=True)
class PricingWarning:
    code: WarningCode
    message: str
    period_start: datetime | None = None
    period_end: datetime | None = None


@dataclass(frozen=True, slots=True)
class CostBreakdown:
    currency: str
    vat_rate_bp: int
    prices_include_vat: bool
    energy_wh: int
    lines: tuple[CostLine, ...]
    net: int
    vat: int
    total: int
    warnings: tuple[PricingWarning, ...] = ()

    @property
    def needs_review(self) -> bool:
        """A person should look before this is invoiced (fallback price used, odd meter data)."""
        return bool(self.warnings)
