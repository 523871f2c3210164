"""Reports on usage and revenue: GET /api/v1/orgs/{org_id}/reports, and as CSV or XLSX.

The filters mean what they mean on the portal's reports page (reports/periods.py): `period` day, week,
month, quarter or year around `date` (today in the organisation's time zone when left out), or `range`
from `since` to `until`; `site`, `charger`, `group` and `member` ids of this organisation.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select
from starlette.responses import Response

from ladeportal.errors import NotFound
from ladeportal.members.models import Membership, Role
from ladeportal.orgs.models import Organization
from ladeportal.reports.export import TABLES, export_report
from ladeportal.reports.periods import parse_filter, parse_period
from ladeportal.reports.report import Report, build_report, report_json
from ladeportal.reports.statement import member_statement, parse_month
from ladeportal.web.deps import OrgStaff, Principal, SessionDep, require_roles

router = APIRouter(tags=["reports"])
MEDIA = {"csv": "text/csv; charset=utf-8", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


async def _report(
    who: OrgStaff,
    session: SessionDep,
    period: str | None,
    date: str | None,
    since: str | None,
    until: str | None,
    site: str | None,
    charger: str | None,
    group: str | None,
    member: str | None,
) -> Report:
    zone = await session.scalar(select(Organization.time_zone).where(Organization.id == who.organization_id))
    today = datetime.now(ZoneInfo(zone or "UTC")).date()
    chosen = parse_period(period=period, date_=date, since=since, until=until, today=today)
    flt = parse_filter(site=site, charger=charger, group=group, member=member)
    return await build_report(session, who.organization_id, chosen, flt)


@router.get("/orgs/{org_id}/reports")
async def report(
    who: OrgStaff,
    session: SessionDep,
    period: str | None = Query(None, max_length=10, description="day, week, month, quarter, year or range"),
    date: str | None = Query(None, max_length=10, description="YYYY-MM-DD inside the period; today if empty"),
    since: str | None = Query(None, max_length=10, description="range: first day, YYYY-MM-DD"),
    until: str | None = Query(None, max_length=10, description="range: last day, included"),
    site: str | None = Query(None, max_length=40),
    charger: str | None = Query(None, max_length=40),
    group: str | None = Query(None, max_length=40),
    member: str | None = Query(None, max_length=40),
) -> dict[str, Any]:
    found = await _report(who, session, period, date, since, until, site, charger, group, member)
    return report_json(found)


@router.get("/orgs/{org_id}/me/statement")
async def my_statement(
    who: Annotated[Principal, Depends(require_roles(Role.org_admin, Role.finance, Role.member))],
    session: SessionDep,
    month: str | None = Query(None, max_length=7, description="YYYY-MM; this month if empty"),
) -> dict[str, Any]:
    """The caller's own sessions of a month with energy and cost, and the month's totals per site."""
    membership_id = await session.scalar(
        select(Membership.id).where(
            Membership.organization_id == who.organization_id,
            Membership.user_id == who.user_id,
            Membership.removed_at.is_(None),
        )
    )
    if who.user_id is None or membership_id is None:
        # An API token belongs to the organisation, not to a member: it has no statement of its own.
        raise NotFound("No such member.", code="member.not_found")
    zone = await session.scalar(select(Organization.time_zone).where(Organization.id == who.organization_id))
    chosen = parse_month(month, datetime.now(ZoneInfo(zone or "UTC")).date())
    statement = await member_statement(session, who.organization_id, membership_id, chosen)
    return statement.as_json()


@router.get("/orgs/{org_id}/reports/export.{fmt}")
async def report_export(
    who: OrgStaff,
    session: SessionDep,
    fmt: str,
    period: str | None = Query(None, max_length=10),
    date: str | None = Query(None, max_length=10),
    since: str | None = Query(None, max_length=10),
    until: str | None = Query(None, max_length=10),
    site: str | None = Query(None, max_length=40),
    charger: str | None = Query(None, max_length=40),
    group: str | None = Query(None, max_length=40),
    member: str | None = Query(None, max_length=40),
    table: str = Query("series", max_length=20, description="CSV only: " + ", ".join(TABLES)),
    language: str = Query("nb", pattern="^(nb|en)$"),
) -> Response:
    if fmt not in MEDIA or table not in TABLES:
        raise NotFound("No such export.", code="export.not_found")
    found = await _report(who, session, period, date, since, until, site, charger, group, member)
    content = await export_report(found, fmt, language, table)
    name = f"report-{found.period.start.isoformat()}-{found.period.end.isoformat()}.{fmt}"
    return Response(content, media_type=MEDIA[fmt], headers={"Content-Disposition": f'attachment; filename="{name}"'})
