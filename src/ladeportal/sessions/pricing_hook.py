"""Where a finished session gets its price.

`stop_session` calls `price_finished_session` inside its own transaction, after the energy is final.
The pricing area (a pure engine in ladeportal.pricing) will be wired in here: look up the price plan
of the session's group in force at `started_at`, compute, and set `cost_snapshot` (the inputs and
line items, so a later price change never rewrites this session), `cost_total_minor` and `currency`.
Until then sessions stay unpriced (cost columns NULL), which reports show as "not priced".
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.sessions.models import ChargingSession


async def price_finished_session(session: AsyncSession, charging_session: ChargingSession) -> None:
    """Price a session whose energy and stop time are final. Must not commit (the caller does)."""
    return None
