"""Whether a finished session's price may still be replaced: not once the session is on an invoice.

A session on an invoice is corrected with a credit note, never by rewriting the price it was billed
at. Billing extends `is_invoiced` with a lookup of its invoice lines when it starts invoicing sessions.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.sessions.models import ChargingSession


async def is_invoiced(session: AsyncSession, charging_session: ChargingSession) -> bool:
    # No session is invoiced yet: there are no invoices. Billing answers this from its invoice lines.
    return False
