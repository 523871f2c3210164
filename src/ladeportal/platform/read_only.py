"""THE rule for when an organisation's data may not be changed through the portal or the JSON API.

Two reasons, one mechanism: platform staff looking at an organisation's portal for support (they are
not its members and act only through the operator console's audited actions), and an organisation
whose administrators have not accepted a terms version that locks after its date. The portal's
access dependency (web/portal/access.py) and the API's role dependency (web/deps.py) both ask
`write_refusal` for every unsafe request. Chargers are never asked: OCPP and the access decision do
not pass through either, so charging goes on.
"""

from __future__ import annotations

import uuid
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.terms.standing import Standing, local_today, locked, standing


class ReadOnly(StrEnum):
    staff_view = "staff_view"
    terms_overdue = "terms_overdue"


def refusal_of(items: list[Standing], time_zone: str, *, staff_view: bool) -> ReadOnly | None:
    if staff_view:
        return ReadOnly.staff_view
    if locked(items, local_today(time_zone)):
        return ReadOnly.terms_overdue
    return None


async def write_refusal(
    session: AsyncSession, org_id: uuid.UUID, time_zone: str, *, staff_view: bool = False
) -> ReadOnly | None:
    """Why changes to this organisation are refused now, or None when they are allowed."""
    if staff_view:
        return ReadOnly.staff_view
    return refusal_of(await standing(session, org_id), time_zone, staff_view=False)
