"""A member's own monthly statement ("Mine ladinger"): their sessions of a month with energy and cost,
and the month's totals per site. Open to anyone signed in who is a member of the organisation, whatever
their role; it shows the caller's own membership only, so nothing of another member can appear.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Request
from sqlalchemy import select
from starlette.responses import Response

from ladeportal.errors import ValidationFailed
from ladeportal.members.models import Membership, MembershipState
from ladeportal.orgs.models import Organization
from ladeportal.reports.statement import Statement, member_statement, parse_month
from ladeportal.web.deps import SessionDep
from ladeportal.web.portal.access import SignedInViewer
from ladeportal.web.portal.error_texts import error_text
from ladeportal.web.portal.templating import render

router = APIRouter()


def _month_text(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


@router.get("/portal/o/{org_id}/statement")
async def statement_page(request: Request, org_id: uuid.UUID, viewer: SignedInViewer, session: SessionDep) -> Response:
    found = (
        await session.execute(
            select(Membership.id, Organization.time_zone, Organization.legal_name)
            .join(Organization, Organization.id == Membership.organization_id)
            .where(
                Membership.organization_id == org_id,
                Membership.user_id == viewer.user.id,
                Membership.removed_at.is_(None),
                Membership.state != MembershipState.blocked,
                Organization.archived_at.is_(None),
            )
        )
    ).first()
    if found is None:
        raise HTTPException(status_code=404)
    membership_id, time_zone, org_name = found
    today = datetime.now(ZoneInfo(time_zone)).date()
    raw = (request.query_params.get("month") or "").strip()[:7]
    error = None
    statement: Statement | None = None
    try:
        month = parse_month(raw, today)
        statement = await member_statement(session, org_id, membership_id, month)
    except ValidationFailed as exc:
        error, month = error_text(exc), today.replace(day=1)
    before = (month - timedelta(days=1)).replace(day=1)
    after = (month + timedelta(days=32)).replace(day=1)
    return render(
        request,
        "portal/reports/statement.html",
        {
            "statement": statement,
            "org_name": org_name,
            "base": f"/portal/o/{org_id}/statement",
            "month": _month_text(month),
            "previous_month": _month_text(before),
            "next_month": _month_text(after),
            "error": error,
        },
        status_code=422 if error else 200,
    )
