"""Request and response bodies of the pricing API.

Amounts are decimals in major units (kr), sent as strings or JSON numbers and returned as strings;
the plan's VAT rate and currency always come from the organisation. Money in breakdowns is integer
minor units (øre): `net` excludes VAT, `gross`/`total` include it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ladeportal.pricing.quotes import MOST_SAMPLES
from ladeportal.pricing.validation import MAX_BANDS


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FixedEnergyIn(_In):
    type: Literal["fixed"]
    price_per_kwh: Decimal


class FreeEnergyIn(_In):
    type: Literal["free"]


class BandIn(_In):
    weekdays: list[int] = Field(description="0 = Monday … 6 = Sunday", max_length=7)
    start: str = Field(examples=["22:00"])
    end: str = Field(examples=["06:00"], description="exclusive; not after start = runs past midnight")
    price_per_kwh: Decimal
    label: str = Field(default="", max_length=40)


class TimeOfDayEnergyIn(_In):
    type: Literal["time_of_day"]
    bands: list[BandIn] = Field(max_length=MAX_BANDS)


class SpotEnergyIn(_In):
    type: Literal["spot"]
    area: str = Field(examples=["NO1"])
    fallback_per_kwh: Decimal = Field(description="charged when no spot price is published; flags for review")
    factor: Decimal = Decimal(1)
    markup_per_kwh: Decimal = Decimal(0)
    floor_per_kwh: Decimal | None = None
    ceiling_per_kwh: Decimal | None = None


EnergyIn = Annotated[FixedEnergyIn | FreeEnergyIn | TimeOfDayEnergyIn | SpotEnergyIn, Field(discriminator="type")]


class TimeFeeIn(_In):
    price_per_hour: Decimal
    grace_minutes: int = 0
    local_hours: list[int] | None = Field(default=None, max_length=24)


class PlanDefinitionIn(_In):
    prices_include_vat: bool = True
    energy: EnergyIn
    time_fee: TimeFeeIn | None = None
    start_fee: Decimal = Decimal(0)
    minimum_per_session: Decimal | None = None
    maximum_per_session: Decimal | None = None
    monthly_fee_per_member: Decimal = Decimal(0)
    monthly_fee_basis: str = Field(default="whole_months", max_length=20)  # or "pro_rata"

    def as_definition(self) -> dict[str, Any]:
        # JSON mode writes Decimals as strings, exactly what plan_codec reads.
        return self.model_dump(mode="json")


class PlanIn(_In):
    name: str = Field(max_length=120)
    description: str | None = Field(default=None, max_length=500)
    definition: PlanDefinitionIn
    effective_from: datetime | None = None


class PlanPatch(_In):
    name: str | None = Field(default=None, max_length=120)
    description: str | None = Field(default=None, max_length=500)


class VersionIn(_In):
    definition: PlanDefinitionIn
    effective_from: datetime | None = Field(default=None, description="default: now")


class VersionOut(BaseModel):
    id: uuid.UUID
    number: int
    effective_from: datetime
    status: str
    description: str
    definition: dict[str, Any]
    created_at: datetime
    created_by: str


class UsedByOut(BaseModel):
    audience: str
    group_id: uuid.UUID | None
    group_name: str | None
    site_id: uuid.UUID | None
    site_name: str | None


class PlanOut(BaseModel):
    id: uuid.UUID
    name: str
    description: str | None
    archived: bool
    current_version: VersionOut | None
    versions: list[VersionOut]
    used_by: list[UsedByOut]


class AssignmentIn(_In):
    plan_id: uuid.UUID
    site_id: uuid.UUID | None = None


class AssignmentOut(BaseModel):
    audience: str
    plan_id: uuid.UUID
    group_id: uuid.UUID | None
    site_id: uuid.UUID | None


class MeterSampleIn(_In):
    at: datetime
    register_wh: int = Field(ge=0)


class QuoteIn(_In):
    start: datetime
    end: datetime
    energy_wh: int | None = Field(default=None, ge=0)
    meter_samples: list[MeterSampleIn] = Field(default_factory=list, max_length=MOST_SAMPLES)
    site_id: uuid.UUID | None = None
    version_id: uuid.UUID | None = None


class LineOut(BaseModel):
    kind: str
    label: str
    quantity: str
    unit: str
    unit_price: str
    unit_price_excl_vat: str
    unit_price_incl_vat: str
    net: int
    vat: int
    gross: int
    energy_wh: int
    period_start: datetime | None
    period_end: datetime | None


class WarningOut(BaseModel):
    code: str
    message: str
    period_start: datetime | None
    period_end: datetime | None


class BreakdownOut(BaseModel):
    currency: str
    vat_rate_bp: int
    prices_include_vat: bool
    energy_wh: int
    net: int = Field(description="excl. VAT, minor units")
    vat: int
    total: int = Field(description="incl. VAT, minor units")
    total_excl_vat: int
    total_incl_vat: int
    lines: list[LineOut]
    warnings: list[WarningOut]
    needs_review: bool


class QuoteOut(BreakdownOut):
    plan_id: uuid.UUID
    version_id: uuid.UUID
    version: int
    time_zone: str
    description: str


class EstimateOut(BaseModel):
    session_id: int
    state: str
    status: str  # "priced" | "no_price_plan"
    plan_id: uuid.UUID | None
    version: int | None
    breakdown: BreakdownOut | None
