"""My places, starting at a connector, the start's progress, the live session and stopping it."""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from ladeportal.enduser.charging import StartSettings, own_session, start_charging, start_progress, stop_charging
from ladeportal.enduser.live import active_sessions, live_view
from ladeportal.enduser.places import all_places, membership_of, places_for
from ladeportal.errors import DomainError
from ladeportal.i18n import current_language, gettext
from ladeportal.web.deps import SessionDep
from ladeportal.web.enduser.app_access import SignedInApp, app_error
from ladeportal.web.enduser.templating import render
from ladeportal.web.portal.flash import redirect
from ladeportal.web.portal.forms import form_values
from ladeportal.web.portal.pages.sessions import LINE_LABELS
from ladeportal.web.portal.security import settings_of, verify_csrf

router = APIRouter(dependencies=[Depends(verify_csrf)])


def _start_settings(request: Request) -> StartSettings:
    settings = settings_of(request)
    return StartSettings(
        heartbeat_seconds=settings.ocpp_heartbeat_interval,
        wait_for_car=timedelta(seconds=settings.app_start_wait_seconds),
        command_timeout=min(settings.ocpp_command_timeout, 30.0),
    )


@router.get("/app")
async def app_root(request: Request) -> Response:
    return redirect(request, "/app/")


@router.get("/app/")
async def places_page(request: Request, session: SessionDep, viewer: SignedInApp) -> Response:
    heartbeat = settings_of(request).ocpp_heartbeat_interval
    places = await all_places(session, viewer.user.id, locale=current_language(), heartbeat_seconds=heartbeat)
    running = await active_sessions(session, [p.member_of.membership.id for p in places])
    return render(request, "enduser/places.html", {"places": places, "running": running, "signed_in": True})


@router.get("/app/start/{membership_id}/{cp_id}/{connector}")
async def start_form(
    request: Request,
    session: SessionDep,
    viewer: SignedInApp,
    membership_id: uuid.UUID,
    cp_id: uuid.UUID,
    connector: int,
) -> Response:
    try:
        item = await membership_of(session, viewer.user.id, membership_id)
    except DomainError as exc:
        return app_error(request, exc)
    places = await places_for(
        session, item, locale=current_language(), heartbeat_seconds=settings_of(request).ocpp_heartbeat_interval
    )
    for site in places.sites:
        for charger in site.chargers:
            if charger.id != cp_id:
                continue
            for c in charger.connectors:
                if c.number == connector:
                    return render(
                        request,
                        "enduser/start.html",
                        {
                            "item": item,
                            "site": site,
                            "charger": charger,
                            "connector": c,
                            # One key per form shown: a double tap posts it twice, and the second post
                            # finds the first start instead of sending another command.
                            "request_key": secrets.token_urlsafe(18),
                            "signed_in": True,
                        },
                    )
    return render(request, "enduser/error.html", {"status": 404, "message": None, "back": "/app/"}, status_code=404)


@router.post("/app/start")
async def start(request: Request, session: SessionDep, viewer: SignedInApp) -> Response:
    values = await form_values(request)
    try:
        membership_id = uuid.UUID(values.get("membership", ""))
        cp_id = uuid.UUID(values.get("charger", ""))
        connector = int(values.get("connector", ""))
    except ValueError:
        return render(request, "enduser/error.html", {"status": 404, "message": None, "back": "/app/"}, status_code=404)
    try:
        row = await start_charging(
            session,
            viewer.user.id,
            membership_id,
            cp_id,
            connector,
            values.get("request_key", ""),
            _start_settings(request),
        )
    except DomainError as exc:
        return app_error(request, exc)
    return redirect(request, f"/app/starts/{row.id}")


@router.get("/app/starts/{request_id}")
async def start_page(request: Request, session: SessionDep, viewer: SignedInApp, request_id: uuid.UUID) -> Response:
    try:
        row = await start_progress(session, viewer.user.id, request_id, _start_settings(request).wait_for_car)
    except DomainError as exc:
        return app_error(request, exc)
    if row.outcome == "started" and row.session_id is not None:
        return redirect(request, f"/app/sessions/{row.session_id}")
    return render(request, "enduser/start_progress.html", {"start": row, "signed_in": True})


@router.get("/app/sessions/{session_id}")
async def session_page(request: Request, session: SessionDep, viewer: SignedInApp, session_id: int) -> Response:
    try:
        view = await live_view(session, viewer.user.id, session_id)
        cs = await own_session(session, viewer.user.id, session_id)
    except DomainError as exc:
        return app_error(request, exc)
    lines = list((cs.cost_snapshot or {}).get("lines") or []) if not view.active else []
    return render(
        request,
        "enduser/session.html",
        {"view": view, "lines": lines, "line_labels": LINE_LABELS, "signed_in": True},
    )


@router.post("/app/sessions/{session_id}/stop")
async def stop(request: Request, session: SessionDep, viewer: SignedInApp, session_id: int) -> Response:
    try:
        accepted = await stop_charging(session, viewer.user.id, session_id, _start_settings(request).command_timeout)
    except DomainError as exc:
        return app_error(request, exc, back=f"/app/sessions/{session_id}")
    if not accepted:
        return redirect(
            request,
            f"/app/sessions/{session_id}",
            gettext("The charger refused to stop. Unplug the car to stop."),
            "warning",
        )
    return redirect(request, f"/app/sessions/{session_id}", gettext("Stopping: the charger is ending the session."))
