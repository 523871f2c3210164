"""Where a finished session gets its price, and an active one its running estimate.

`stop_session` (and the close of a session that never got a Stop) calls `price_finished_session`
inside its own transaction, after the energy is final. The plan version in force at `started_at` for
the session's group at its site prices it (see pricing.assignments); the result is stored as
`cost_snapshot` (plan id and version, the prices used, the lines, net/VAT/total), `cost_total_minor`
and `currency`, and a `SessionPricing` row records which version priced it, so a later price change
can never rewrite it. No plan: a "no price plan" snapshot with total 0, flagged for review.

Pricing never fails a stop: the charger's StopTransaction must be acknowledged and the energy kept.
A plan or data error leaves the session unpriced (cost columns NULL) with the reason in the snapshot.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.base import utcnow
from ladeportal.pricing.models import SessionPricing
from ladeportal.pricing.session_pricing import SessionPrice, price_charging_session, snapshot_of
from ladeportal.sessions.anomalies import MeterState
from ladeportal.sessions.models import ChargingSession, SessionState

log = logging.getLogger(__name__)


async def price_finished_session(session: AsyncSession, charging_session: ChargingSession) -> None:
    """Price a session whose energy and stop time are final. Must not commit (the caller does)."""
    cs = charging_session
    if cs.stopped_at is None:
        return
    now = utcnow()
    try:
        price = await price_charging_session(session, cs, until=cs.stopped_at, energy_wh=cs.energy_wh or 0)
    except SQLAlchemyError:
        raise  # the transaction itself is broken; the caller's rollback and the charger's retry handle it
    except Exception as error:
        log.exception("pricing session %s failed", cs.id)
        cs.cost_snapshot = {
            "format": 1,
            "status": "error",
            "message": f"could not be priced: {error}",
            "priced_at": now.isoformat(),
            "needs_review": True,
        }
        cs.cost_total_minor = None
        cs.currency = None
        return
    cs.cost_snapshot = snapshot_of(price, cs, now)
    cs.cost_total_minor = price.breakdown.total if price.breakdown is not None else 0
    cs.currency = price.currency
    await session.merge(
        SessionPricing(
            session_id=cs.id,
            organization_id=cs.organization_id,
            plan_id=price.resolved.plan.id if price.resolved else None,
            plan_version_id=price.resolved.version.id if price.resolved else None,
            started_at=cs.started_at,
            priced_at=now,
            needs_review=bool(cs.cost_snapshot["needs_review"]),
            spot_area=price.spot_area,
            awaits_spot_prices=price.awaits_spot_prices,
        )
    )


async def running_estimate(
    session: AsyncSession, charging_session: ChargingSession, now: datetime | None = None
) -> SessionPrice:
    """What an active session would cost if it stopped `now`, from the energy metered so far.

    A finished session gets its stored price recomputed the same way (for comparison); show the
    snapshot for those. Reads only.
    """
    cs = charging_session
    if cs.state == SessionState.stopped and cs.stopped_at is not None:
        return await price_charging_session(session, cs, until=cs.stopped_at, energy_wh=cs.energy_wh or 0)
    state = MeterState(cs.id, cs.meter_start_wh, cs.meter_last_wh, cs.segment_start_wh, cs.energy_carried_wh)
    return await price_charging_session(
        session, cs, until=max(now or utcnow(), cs.started_at), energy_wh=state.energy_wh
    )
