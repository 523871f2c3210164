"""What a described session would cost under a plan: the preview behind the Prices page and the
quote API. Reads only; uses the stored spot prices, so a quote for tomorrow is exact once they are in.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.errors import ValidationFailed
from ladeportal.limits import check_date
from ladeportal.orgs.services import get_organization, get_site
from ladeportal.pricing.breakdown import CostBreakdown
from ladeportal.pricing.engine import price_session
from ladeportal.pricing.models import PricePlan, PricePlanVersion
from ladeportal.pricing.plans import SpotEnergyPrice
from ladeportal.pricing.services import definition_of, get_plan, get_version, version_in_force
from ladeportal.pricing.spot_series import SpotPrice
from ladeportal.pricing.spot_store import load_prices

LONGEST_QUOTE = timedelta(days=31)
MOST_WH = 1_000_000_000
MOST_SAMPLES = 10_000


@dataclass(frozen=True)
class QuoteRequest:
    """A session to price: `energy_wh` spread evenly from start to end, or register `meter_samples`."""

    start: datetime
    end: datetime
    energy_wh: int | None = None
    meter_samples: Sequence[tuple[datetime, int]] = field(default_factory=tuple)
    site_id: uuid.UUID | None = None  # its time zone; the organisation's when absent
    version_id: uuid.UUID | None = None  # default: the version in force at `start`


@dataclass(frozen=True)
class Quote:
    plan: PricePlan
    version: PricePlanVersion
    time_zone: str
    breakdown: CostBreakdown
    spot_prices: list[SpotPrice]


def _readings(request: QuoteRequest) -> list[tuple[datetime, int]]:
    for name, moment in (("start", request.start), ("end", request.end)):
        if moment.tzinfo is None:
            raise ValidationFailed(
                f"{name} needs a time zone (e.g. 2026-05-01T18:00:00+02:00).",
                field=name,
                code="time.zone_required",
                params={"name": name},
            )
        check_date(moment, name)
    if request.end < request.start:
        raise ValidationFailed("The session ends before it starts.", field="end", code="quote.ends_before_start")
    if request.end - request.start > LONGEST_QUOTE:
        raise ValidationFailed("A quote covers at most 31 days.", field="end", code="quote.too_long")
    if request.meter_samples:
        if request.energy_wh is not None:
            raise ValidationFailed(
                "Give energy_wh or meter_samples, not both.", field="meter_samples", code="quote.energy_and_samples"
            )
        if len(request.meter_samples) > MOST_SAMPLES:
            raise ValidationFailed(
                f"At most {MOST_SAMPLES} meter samples.",
                field="meter_samples",
                code="quote.samples_too_many",
                params={"limit": MOST_SAMPLES},
            )
        for at, wh in request.meter_samples:
            if at.tzinfo is None or not 0 <= wh <= MOST_WH:
                raise ValidationFailed(
                    "Each sample needs a time with a zone and a register of 0 Wh or more.",
                    field="meter_samples",
                    code="quote.sample_invalid",
                )
        return list(request.meter_samples)
    if request.energy_wh is None or request.energy_wh < 0:
        raise ValidationFailed(
            "Give energy_wh (0 or more) or meter_samples.", field="energy_wh", code="quote.energy_required"
        )
    if request.energy_wh > MOST_WH:
        raise ValidationFailed(
            f"energy_wh is at most {MOST_WH} (1 GWh).",
            field="energy_wh",
            code="quote.energy_too_large",
            params={"limit": MOST_WH},
        )
    return [(request.start, 0), (request.end, request.energy_wh)]


async def quote(session: AsyncSession, org_id: uuid.UUID, plan_id: uuid.UUID, request: QuoteRequest) -> Quote:
    plan = await get_plan(session, org_id, plan_id)
    readings = _readings(request)
    if request.version_id is not None:
        version = await get_version(session, org_id, plan_id, request.version_id)
    else:
        found = await version_in_force(session, plan_id, request.start)
        if found is None:
            raise ValidationFailed(
                f"No version of this plan is in force at {request.start.isoformat()}; pick a later start or a version.",
                field="start",
                code="quote.no_version_in_force",
                params={"when": request.start},
            )
        version = found
    if request.site_id is not None:
        time_zone = (await get_site(session, org_id, request.site_id)).time_zone
    else:
        time_zone = (await get_organization(session, org_id)).time_zone
    definition = definition_of(version).plan
    spot: list[SpotPrice] = []
    if isinstance(definition.energy, SpotEnergyPrice):
        first = min([request.start, *(at for at, _ in readings)])
        last = max([request.end, *(at for at, _ in readings)])
        spot = await load_prices(session, definition.energy.area, definition.currency, first, last)
    breakdown = price_session(
        definition,
        meter_readings=readings,
        connected_at=request.start,
        disconnected_at=request.end,
        time_zone=time_zone,
        spot_prices=spot,
    )
    return Quote(plan, version, time_zone, breakdown, spot)
