"""Re-pricing sessions that were billed at a spot plan's fallback price, once the real prices are stored.

A finished session's price is replaced here and nowhere else, and never silently: the old and the new
snapshot and totals are kept in a `SessionPriceCorrection` with the reason and the time, and the new
snapshot says that it is a correction. The plan version that priced the session prices it again (not
whatever is assigned today), over the same meter readings; only the spot prices differ. A correction
is keyed by a digest of the spot prices it used, so the same data never re-prices a session twice.
Sessions already on an invoice keep their price (see invoice_hold).
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.base import utcnow
from ladeportal.db.engine import unit_of_work
from ladeportal.platform.audit import Actor, record
from ladeportal.pricing.assignments import Audience, ResolvedPlan
from ladeportal.pricing.invoice_hold import is_invoiced
from ladeportal.pricing.models import PricePlan, PricePlanVersion, SessionPriceCorrection, SessionPricing
from ladeportal.pricing.services import definition_of
from ladeportal.pricing.session_pricing import price_charging_session, snapshot_of
from ladeportal.pricing.snapshot import spot_prices_json
from ladeportal.pricing.spot_ranges import checked_range
from ladeportal.pricing.spot_series import SpotPrice
from ladeportal.pricing.spot_store import local_day_bounds
from ladeportal.sessions.models import ChargingSession

log = logging.getLogger(__name__)

SPOT_PRICES_PUBLISHED = "spot_prices_published"


@dataclass
class CorrectionReport:
    corrected: list[int] = field(default_factory=list)  # session ids whose price was replaced
    still_waiting: list[int] = field(default_factory=list)  # of those, sessions still missing some prices
    unchanged: list[int] = field(default_factory=list)  # no spot prices they did not have before
    invoiced: list[int] = field(default_factory=list)  # on an invoice: left alone
    failed: list[tuple[int, str]] = field(default_factory=list)

    def add(self, other: CorrectionReport) -> None:
        for name in ("corrected", "still_waiting", "unchanged", "invoiced", "failed"):
            getattr(self, name).extend(getattr(other, name))


def spot_data_digest(prices: list[SpotPrice]) -> str:
    return hashlib.sha256(json.dumps(spot_prices_json(prices), sort_keys=True).encode()).hexdigest()


async def sessions_awaiting_prices(
    session: AsyncSession, area: str, currency: str, start: datetime, end: datetime
) -> list[tuple[SessionPricing, ChargingSession]]:
    """Finished sessions billed partly at the fallback price of a spot plan of `area` whose span overlaps
    [start, end), locked until the transaction ends so two processes never correct one session at once."""
    rows = (
        await session.execute(
            select(SessionPricing, ChargingSession)
            .join(ChargingSession, ChargingSession.id == SessionPricing.session_id)
            .where(
                SessionPricing.spot_area == area,
                SessionPricing.awaits_spot_prices.is_(True),
                ChargingSession.currency == currency,
                ChargingSession.stopped_at.is_not(None),
                ChargingSession.started_at < end,
                ChargingSession.stopped_at > start,
            )
            .order_by(ChargingSession.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).all()
    return [(pricing, cs) for pricing, cs in rows]


async def correct_sessions(
    session: AsyncSession,
    actor: Actor,
    area: str,
    currency: str,
    start: datetime,
    end: datetime,
    *,
    now: datetime | None = None,
) -> CorrectionReport:
    """Re-price the sessions awaiting prices of `area` in [start, end) from the prices stored now.

    A data helper: it flushes nothing it does not have to and never commits; the caller's transaction
    stores the prices and the corrections together.
    """
    now = now or utcnow()
    report = CorrectionReport()
    for pricing, cs in await sessions_awaiting_prices(session, area, currency, start, end):
        if await is_invoiced(session, cs):
            report.invoiced.append(cs.id)
            continue
        try:
            await _correct(session, actor, pricing, cs, now, report)
        except SQLAlchemyError:
            raise  # the transaction itself is broken: the caller rolls back, prices included
        except Exception as error:
            log.exception("re-pricing session %s failed", cs.id)
            report.failed.append((cs.id, str(error)))
    return report


async def _correct(
    session: AsyncSession,
    actor: Actor,
    pricing: SessionPricing,
    cs: ChargingSession,
    now: datetime,
    report: CorrectionReport,
) -> None:
    resolved = await _version_that_priced(session, pricing, cs)
    if resolved is None or cs.stopped_at is None:
        report.failed.append((cs.id, "the plan version that priced the session is gone"))
        return
    price = await price_charging_session(
        session, cs, until=cs.stopped_at, energy_wh=cs.energy_wh or 0, resolved=resolved
    )
    old: dict[str, Any] = dict(cs.cost_snapshot or {})
    digest = spot_data_digest(price.spot_prices)
    if (
        price.breakdown is None
        or spot_prices_json(price.spot_prices) == old.get("spot_prices")
        or (
            await session.scalar(
                select(SessionPriceCorrection.id).where(
                    SessionPriceCorrection.session_id == cs.id, SessionPriceCorrection.data_digest == digest
                )
            )
        )
        is not None
    ):
        report.unchanged.append(cs.id)
        return
    new = {
        **snapshot_of(price, cs, now),
        "correction": {
            "reason": SPOT_PRICES_PUBLISHED,
            "corrected_at": now.isoformat(),
            "previous_total": cs.cost_total_minor,
            "previous_priced_at": old.get("priced_at"),
        },
    }
    session.add(
        SessionPriceCorrection(
            session_id=cs.id,
            organization_id=cs.organization_id,
            reason=SPOT_PRICES_PUBLISHED,
            data_digest=digest,
            currency=price.currency,
            old_total_minor=cs.cost_total_minor,
            new_total_minor=price.breakdown.total,
            old_snapshot=old,
            new_snapshot=new,
            corrected_at=now,
            corrected_by=actor.label[:120],
        )
    )
    record(
        session,
        actor,
        "charging_session.price_corrected",
        "charging_session",
        str(cs.id),
        organization_id=cs.organization_id,
        old={"total": cs.cost_total_minor},
        new={"total": price.breakdown.total, "reason": SPOT_PRICES_PUBLISHED},
    )
    cs.cost_snapshot = new
    cs.cost_total_minor = price.breakdown.total
    cs.currency = price.currency
    pricing.priced_at = now
    pricing.needs_review = bool(new["needs_review"])
    pricing.awaits_spot_prices = price.awaits_spot_prices
    report.corrected.append(cs.id)
    if price.awaits_spot_prices:
        report.still_waiting.append(cs.id)


async def _version_that_priced(
    session: AsyncSession, pricing: SessionPricing, cs: ChargingSession
) -> ResolvedPlan | None:
    if pricing.plan_id is None or pricing.plan_version_id is None:
        return None
    plan = await session.get(PricePlan, pricing.plan_id)
    version = await session.get(PricePlanVersion, pricing.plan_version_id)
    if plan is None or version is None:
        return None
    stored = ((cs.cost_snapshot or {}).get("plan") or {}).get("audience")
    audience: Audience = "private" if stored == "private" or (stored is None and cs.group_id is not None) else "public"
    return ResolvedPlan(plan, version, definition_of(version), audience)


async def reprice_range(
    session: AsyncSession,
    actor: Actor,
    area: str,
    first: date,
    last: date,
    *,
    currency: str | None = None,
    now: datetime | None = None,
) -> CorrectionReport:
    """Re-price, from the prices stored now, the sessions awaiting prices of `area` in the local days
    `first` to `last`: for prices stored by other means than a fetch or an import."""
    wanted = checked_range(area, first, last, currency=currency, now=now)
    start, end = local_day_bounds(wanted.area, wanted.first)[0], local_day_bounds(wanted.area, wanted.last)[1]
    async with unit_of_work(session):
        return await correct_sessions(session, actor, wanted.area, wanted.currency, start, end, now=now)
