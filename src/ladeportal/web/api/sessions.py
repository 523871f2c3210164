"""Charging sessions of an organisation: the filtered, paged list and one session's stored price.

The filters mean what they mean on the portal's sessions page (sessions/filters.py); dates are days in
the organisation's time zone. Times in the answer are UTC; `time_zone` is the site's, for showing them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import select

from ladeportal.errors import NotFound
from ladeportal.limits import MAX_INT32, MAX_PAGE, MAX_SEARCH_CHARS
from ladeportal.orgs.models import Organization
from ladeportal.sessions.detail import get_session_detail
from ladeportal.sessions.filters import parse_filter
from ladeportal.sessions.labels import state_of
from ladeportal.sessions.listing import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, SessionRow, list_sessions
from ladeportal.web.deps import OrgStaff, SessionDep

router = APIRouter(tags=["sessions"])


class SessionOut(BaseModel):
    id: int
    state: str
    started_at: datetime
    stopped_at: datetime | None
    time_zone: str
    duration_seconds: int
    site_id: uuid.UUID
    site_name: str
    charge_point_id: uuid.UUID
    charger_name: str
    connector_number: int
    person: str
    person_kind: str
    membership_id: uuid.UUID | None
    group_name: str | None
    energy_wh: int
    cost_minor: int | None
    currency: str | None
    flags: list[str]


class SessionPageOut(BaseModel):
    items: list[SessionOut]
    total: int
    page: int
    page_size: int
    pages: int


class SessionDetailOut(SessionOut):
    price: dict[str, Any] | None
    corrections: list[dict[str, Any]]


def _out(row: SessionRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "state": state_of(row.running, row.flags).value,
        "started_at": row.started_at,
        "stopped_at": row.stopped_at,
        "time_zone": row.time_zone,
        "duration_seconds": int(row.duration().total_seconds()),
        "site_id": row.site_id,
        "site_name": row.site_name,
        "charge_point_id": row.charge_point_id,
        "charger_name": row.charger_name,
        "connector_number": row.connector_number,
        "person": row.person,
        "person_kind": row.person_kind,
        "membership_id": row.membership_id,
        "group_name": row.group_name,
        "energy_wh": row.energy_wh,
        "cost_minor": row.cost_minor,
        "currency": row.currency,
        "flags": row.flags,
    }


@router.get("/orgs/{org_id}/sessions", response_model=SessionPageOut)
async def sessions(
    who: OrgStaff,
    session: SessionDep,
    site: str | None = Query(None, max_length=40),
    charger: str | None = Query(None, max_length=40),
    group: str | None = Query(None, max_length=40),
    member: str | None = Query(None, max_length=MAX_SEARCH_CHARS),
    since: str | None = Query(None, max_length=10, description="YYYY-MM-DD, in the organisation's time zone"),
    until: str | None = Query(None, max_length=10, description="YYYY-MM-DD, included"),
    period: str | None = Query(None, max_length=20, description="this_month or last_month (sets since/until)"),
    state: str | None = Query(None, max_length=20, description="running, finished or no_stop"),
    flagged: str | None = Query(None, max_length=5, description="1: only sessions with remarks"),
    page: int = Query(1, ge=1, le=MAX_PAGE),
    page_size: int = Query(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE),
) -> SessionPageOut:
    time_zone = await session.scalar(select(Organization.time_zone).where(Organization.id == who.organization_id))
    zone = time_zone or "UTC"
    flt = parse_filter(
        site=site,
        charger=charger,
        group=group,
        member=member,
        since=since,
        until=until,
        period=period,
        state=state,
        flagged=flagged,
        today=datetime.now(ZoneInfo(zone)).date(),
    )
    result = await list_sessions(session, who.organization_id, flt, zone, page=page, page_size=page_size)
    return SessionPageOut(
        items=[SessionOut(**_out(r)) for r in result.items],
        total=result.total,
        page=result.page,
        page_size=result.page_size,
        pages=result.pages,
    )


@router.get("/orgs/{org_id}/sessions/{session_id}", response_model=SessionDetailOut)
async def session_detail(who: OrgStaff, session: SessionDep, session_id: int) -> SessionDetailOut:
    if not 0 < session_id <= MAX_INT32:
        raise NotFound("No such session.", code="session.not_found")
    detail = await get_session_detail(session, who.organization_id, session_id)
    snapshot = detail.snapshot or None
    price = None if snapshot is None else {k: v for k, v in snapshot.items() if k not in ("spot_prices",)}
    return SessionDetailOut(
        **_out(detail.row),
        price=price,
        corrections=[
            {
                "corrected_at": c.corrected_at,
                "reason": c.reason,
                "currency": c.currency,
                "old_total_minor": c.old_total_minor,
                "new_total_minor": c.new_total_minor,
            }
            for c in detail.corrections
        ],
    )
