"""Whether a finished session's price may still be replaced: not once the session is on an invoice.

A session on an invoice is corrected with a credit note, never by rewriting the price it was billed
at. Billing answers from its invoice lines (`billing.items.invoiced_session`).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.sessions.models import ChargingSession


async def is_invoiced(session: AsyncSession, charging_session: ChargingSession) -> bool:
    # Imported here: billing depends on pricing, not the other way round, except for this one question.
    from ladeportal.billing.items import invoiced_session

    return await invoiced_session(session, charging_session.id)
