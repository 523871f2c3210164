"""Charging sessions of an organisation: the filtered list, one session's stored price and meter summary,
and the list as CSV or XLSX. Reads only; the queries are in sessions/listing.py."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from starlette.responses import Response

from ladeportal.errors import NotFound, ValidationFailed
from ladeportal.i18n import N_, current_language
from ladeportal.limits import MAX_INT32
from ladeportal.members.groups import list_groups
from ladeportal.orgs.services import list_sites
from ladeportal.pricing.breakdown import LineKind
from ladeportal.sessions.detail import get_session_detail
from ladeportal.sessions.export import export_sessions
from ladeportal.sessions.filters import Period, SessionFilter, month_range, parse_filter
from ladeportal.sessions.labels import CORRECTION_LABELS, FLAG_LABELS, STATE_LABELS, WARNING_LABELS, state_of
from ladeportal.sessions.listing import SessionPage, charger_choices, list_sessions
from ladeportal.sessions.review import review_state
from ladeportal.web.deps import SessionDep
from ladeportal.web.portal.access import OrgContext, StaffPage
from ladeportal.web.portal.error_texts import error_text
from ladeportal.web.portal.nav import ORDER, NavSection, register_section
from ladeportal.web.portal.pages.members_common import query_without
from ladeportal.web.portal.templating import render

router = APIRouter()
register_section(NavSection("sessions", N_("Sessions"), "/sessions", ORDER["sessions"], icon="bolt"))

PAGE_SIZE = 50
FILTER_NAMES = ("site", "charger", "group", "member", "since", "until", "period", "state", "flagged")
EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FILE_NAMES = {"nb": "ladeokter", "en": "sessions"}
PERIOD_LABELS = {Period.this_month: N_("This month"), Period.last_month: N_("Last month")}
LINE_LABELS = {
    LineKind.ENERGY: N_("Energy"),
    LineKind.TIME: N_("Time fee"),
    LineKind.START_FEE: N_("Start fee"),
    LineKind.MINIMUM: N_("Minimum price"),
    LineKind.MAXIMUM: N_("Maximum price"),
}


def _page_number(raw: str | None) -> int:
    try:
        return max(1, min(int(raw or "1"), 100_000))
    except ValueError:
        return 1


def _raw_filters(request: Request) -> dict[str, str]:
    return {name: (request.query_params.get(name) or "").strip()[:200] for name in FILTER_NAMES}


def _parse(here: OrgContext, raw: dict[str, str]) -> SessionFilter:
    today = datetime.now(ZoneInfo(here.org.time_zone)).date()
    return parse_filter(**{k: v or None for k, v in raw.items()}, today=today)


def _shown(flt: SessionFilter, raw: dict[str, str]) -> dict[str, str]:
    """The form's values: a preset shows as the dates it stands for, so the next change keeps them."""
    return {
        **raw,
        "since": flt.since.isoformat() if flt.since else "",
        "until": flt.until.isoformat() if flt.until else "",
        "period": "",
        "flagged": "1" if flt.flagged else "",
    }


def _preset_dates(here: OrgContext) -> dict[str, tuple[str, str]]:
    today = datetime.now(ZoneInfo(here.org.time_zone)).date()
    presets: dict[str, tuple[str, str]] = {}
    for preset in Period:
        start, end = month_range(preset, today)
        presets[preset.value] = (start.isoformat(), end.isoformat())
    return presets


@router.get("/portal/o/{org_id}/sessions")
async def sessions_list(request: Request, here: StaffPage, session: SessionDep, page: str | None = None) -> Response:
    raw = _raw_filters(request)
    errors: dict[str, str] = {}
    try:
        flt = _parse(here, raw)
        result = await list_sessions(
            session, here.org.id, flt, here.org.time_zone, page=_page_number(page), page_size=PAGE_SIZE
        )
        shown = _shown(flt, raw)
    except ValidationFailed as exc:
        errors[exc.field or "form"] = error_text(exc)
        result, shown = SessionPage([], 0, 1, PAGE_SIZE), raw
    return await _render_list(request, here, session, result, shown, errors)


async def _render_list(
    request: Request,
    here: OrgContext,
    session: SessionDep,
    result: SessionPage,
    shown: dict[str, str],
    errors: dict[str, str],
) -> Response:
    return render(
        request,
        "portal/sessions/list.html",
        {
            "result": result,
            "filters": shown,
            "errors": errors,
            "filtered": any(shown.values()),
            "sites": await list_sites(session, here.org.id),
            "groups": await list_groups(session, here.org.id),
            "chargers": await charger_choices(session, here.org.id),
            "state_labels": STATE_LABELS,
            "flag_labels": FLAG_LABELS,
            "state_of": state_of,
            "period_labels": PERIOD_LABELS,
            "presets": _preset_dates(here),
            "paging_query": query_without(request, "page"),
        },
        status_code=422 if errors else 200,
    )


@router.get("/portal/o/{org_id}/sessions/export.{fmt}")
async def sessions_export(request: Request, fmt: str, here: StaffPage, session: SessionDep) -> Response:
    if fmt not in EXPORT_TYPES:
        raise NotFound("No such export.", code="export.not_found")
    raw = _raw_filters(request)
    try:
        flt = _parse(here, raw)
        content = await export_sessions(session, here.org.id, flt, here.org.time_zone, fmt, current_language())
    except ValidationFailed as exc:
        empty = SessionPage([], 0, 1, PAGE_SIZE)
        return await _render_list(request, here, session, empty, raw, {exc.field or "form": error_text(exc)})
    filename = f"{FILE_NAMES.get(current_language(), 'sessions')}-{here.org.org_number}.{fmt}"
    return Response(
        content,
        media_type=EXPORT_TYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/portal/o/{org_id}/sessions/{session_id}")
async def session_detail(request: Request, session_id: str, here: StaffPage, session: SessionDep) -> Response:
    if not session_id.isdigit() or int(session_id) > MAX_INT32:
        raise NotFound("No such session.", code="session.not_found")
    detail = await get_session_detail(session, here.org.id, int(session_id))
    return render(
        request,
        "portal/sessions/detail.html",
        {
            "d": detail,
            "s": detail.row,
            "review": await review_state(session, here.org.id, detail.row.id),
            "state_labels": STATE_LABELS,
            "flag_labels": FLAG_LABELS,
            "state_of": state_of,
            "line_labels": LINE_LABELS,
            "warning_labels": WARNING_LABELS,
            "correction_labels": CORRECTION_LABELS,
        },
    )
