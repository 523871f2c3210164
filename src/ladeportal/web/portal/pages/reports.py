"""Reports ("Rapporter"): usage and revenue of a period with the period before, by site, charger, group and
member, the load profile and electricity bought vs. sold; charts with their tables, CSV/XLSX, printable.

Reads only; the figures come from reports/report.py. Charts are drawn by Chart.js from a JSON block
(static/portal/reports.js), so the page needs no inline script and keeps the portal's CSP.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from starlette.responses import Response

from ladeportal.errors import NotFound, ValidationFailed
from ladeportal.i18n import N_, current_language, gettext
from ladeportal.i18n.formatting import local_date
from ladeportal.members.groups import list_groups
from ladeportal.orgs.services import list_sites
from ladeportal.reports.export import TABLES, export_report
from ladeportal.reports.periods import (
    Bucket,
    Period,
    PeriodKind,
    parse_filter,
    parse_period,
)
from ladeportal.reports.report import BACKLOG_LIMIT, Report, build_report
from ladeportal.sessions.listing import charger_choices
from ladeportal.web.deps import SessionDep
from ladeportal.web.portal.access import OrgContext, StaffPage
from ladeportal.web.portal.error_texts import error_text
from ladeportal.web.portal.nav import ORDER, NavSection, register_section
from ladeportal.web.portal.templating import render

router = APIRouter()
register_section(NavSection("reports", N_("Reports"), "/reports", ORDER["reports"], icon="chart"))

FILTER_NAMES = ("period", "date", "since", "until", "site", "charger", "group")
EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FILE_NAMES = {"nb": "rapport", "en": "report"}
PERIOD_LABELS = {
    PeriodKind.day: N_("Day"),
    PeriodKind.week: N_("Week"),
    PeriodKind.month: N_("Month"),
    PeriodKind.quarter: N_("Quarter"),
    PeriodKind.year: N_("Year"),
    PeriodKind.range: N_("Chosen dates"),
}
WEEKDAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))


def _raw(request: Request) -> dict[str, str]:
    return {name: (request.query_params.get(name) or "").strip()[:40] for name in FILTER_NAMES}


def _today(here: OrgContext) -> date:
    return datetime.now(ZoneInfo(here.org.time_zone)).date()


async def _build(here: OrgContext, session: SessionDep, raw: dict[str, str]) -> Report:
    period = parse_period(
        period=raw["period"] or None,
        date_=raw["date"] or None,
        since=raw["since"] or None,
        until=raw["until"] or None,
        today=_today(here),
    )
    flt = parse_filter(site=raw["site"], charger=raw["charger"], group=raw["group"])
    return await build_report(session, here.org.id, period, flt)


def _bucket_label(start: date | datetime, report: Report) -> str:
    if isinstance(start, datetime):
        return start.astimezone(ZoneInfo(report.time_zone)).strftime("%H:%M")
    if report.period.bucket is Bucket.month:
        return f"{start.month:02d}.{start.year}"
    return f"{start.day:02d}.{start.month:02d}"


def _chart_data(report: Report) -> dict[str, Any]:
    """What reports.js draws; labels already in the reader's language."""
    cur = report.currency
    return {
        "labels": [_bucket_label(s, report) for s, _ in report.series],
        "energy_kwh": [round(f.energy_wh / 1000, 2) for _, f in report.series],
        "revenue": [round(f.gross(cur) / 100, 2) for _, f in report.series],
        "sites": [line.name for line in report.by_site],
        "site_kwh": [round(line.figures.energy_wh / 1000, 2) for line in report.by_site],
        "hours": [f"{h:02d}" for h in range(24)],
        "profile_kwh": [round(sum(day[h] for day in report.load_profile) / 1000, 2) for h in range(24)],
        "text": {
            "energy": gettext("Energy (kWh)"),
            "revenue": gettext("Revenue incl. VAT (%(currency)s)") % {"currency": cur},
            "profile": gettext("Energy by hour of day (kWh)"),
        },
    }


def _navigation(report: Report, raw: dict[str, str]) -> dict[str, str]:
    """Query strings of the previous and next period, keeping the site and other filters."""
    kept = {k: raw[k] for k in ("site", "charger", "group") if raw[k]}
    keep = ("&" + urlencode(kept)) if kept else ""
    if report.period.kind is PeriodKind.range:
        days = report.period.days
        before = (report.period.start - timedelta(days=days), report.period.start - timedelta(days=1))
        after = (report.period.end + timedelta(days=1), report.period.end + timedelta(days=days))
        return {
            "previous": f"?period=range&since={before[0]}&until={before[1]}{keep}",
            "next": f"?period=range&since={after[0]}&until={after[1]}{keep}",
        }
    kind = report.period.kind.value
    return {
        "previous": f"?period={kind}&date={report.period.start - timedelta(days=1)}{keep}",
        "next": f"?period={kind}&date={report.period.end + timedelta(days=1)}{keep}",
    }


def _period_title(period: Period) -> str:
    if period.kind is PeriodKind.day or period.start == period.end:
        return local_date(period.start)
    return f"{local_date(period.start)} – {local_date(period.end)}"


async def _render(
    request: Request,
    here: OrgContext,
    session: SessionDep,
    report: Report | None,
    raw: dict[str, str],
    errors: dict[str, str],
) -> Response:
    query = urlencode({k: v for k, v in raw.items() if v})
    return render(
        request,
        "portal/reports/page.html",
        {
            "report": report,
            "filters": raw,
            "errors": errors,
            "sites": await list_sites(session, here.org.id),
            "groups": await list_groups(session, here.org.id),
            "chargers": await charger_choices(session, here.org.id),
            "period_labels": PERIOD_LABELS,
            "weekdays": WEEKDAYS,
            "chart": _chart_data(report) if report is not None else None,
            "series_rows": [(_bucket_label(s, report), f) for s, f in report.series] if report is not None else [],
            "nav_links": _navigation(report, raw) if report is not None else None,
            "title": _period_title(report.period) if report is not None else "",
            "query": query,
            "print_view": request.query_params.get("print") == "1",
            "backlog_limit": BACKLOG_LIMIT,
            "anchor": (report.period.start if report else _today(here)).isoformat(),
        },
        status_code=422 if errors else 200,
    )


@router.get("/portal/o/{org_id}/reports")
async def reports_page(request: Request, here: StaffPage, session: SessionDep) -> Response:
    raw = _raw(request)
    try:
        report = await _build(here, session, raw)
    except ValidationFailed as exc:
        return await _render(request, here, session, None, raw, {exc.field or "form": error_text(exc)})
    return await _render(request, here, session, report, raw, {})


@router.get("/portal/o/{org_id}/reports/export.{fmt}")
async def reports_export(request: Request, fmt: str, here: StaffPage, session: SessionDep) -> Response:
    table = request.query_params.get("table") or "series"
    if fmt not in EXPORT_TYPES or table not in TABLES:
        raise NotFound("No such export.", code="export.not_found")
    raw = _raw(request)
    try:
        report = await _build(here, session, raw)
    except ValidationFailed as exc:
        return await _render(request, here, session, None, raw, {exc.field or "form": error_text(exc)})
    language = current_language()
    content = await export_report(report, fmt, language, table)
    base = FILE_NAMES.get(language, "report")
    filename = f"{base}-{report.period.start.isoformat()}-{report.period.end.isoformat()}.{fmt}"
    return Response(
        content,
        media_type=EXPORT_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )
