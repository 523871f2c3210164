"""A charger's tools for administrators: name and site, a new password, retirement (both asked first
and shown with their consequence), firmware update, diagnostics upload, remote start for a member and
remote stop of a running session. Each form calls one domain operation."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from starlette.responses import Response

from ladeportal.chargers import maintenance, remote, services
from ladeportal.chargers.commands import ChargerNotConnected, CommandFailed, CommandResult
from ladeportal.errors import Conflict, NotFound, ValidationFailed
from ladeportal.i18n import N_, gettext
from ladeportal.orgs.services import get_site, list_sites
from ladeportal.web.deps import SessionDep
from ladeportal.web.portal import charger_model
from ladeportal.web.portal.access import AdminPage, OrgContext
from ladeportal.web.portal.error_texts import error_text
from ladeportal.web.portal.flash import redirect
from ladeportal.web.portal.forms import field_errors, form_values
from ladeportal.web.portal.pages.charger_detail import _outcome
from ladeportal.web.portal.security import settings_of
from ladeportal.web.portal.templating import render

router = APIRouter()


def _url(here: OrgContext, charger_id: uuid.UUID) -> str:
    return f"{here.base}/chargers/{charger_id}"


# -- name and site ---------------------------------------------------------------------------------


async def _edit_form(
    request: Request,
    here: OrgContext,
    session: SessionDep,
    charger_id: uuid.UUID,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    cp = await services.get_charge_point(session, here.org.id, charger_id)
    values = values if values is not None else {"name": cp.name or "", "site_id": str(cp.site_id)}
    return render(
        request,
        "portal/chargers/edit.html",
        {
            "cp": cp,
            "values": values,
            "errors": errors or {},
            "sites": await list_sites(session, here.org.id),
        },
        status_code=status_code,
    )


@router.get("/portal/o/{org_id}/chargers/{charger_id}/edit")
async def edit_charger(request: Request, charger_id: uuid.UUID, here: AdminPage, session: SessionDep) -> Response:
    return await _edit_form(request, here, session, charger_id)


@router.post("/portal/o/{org_id}/chargers/{charger_id}/edit")
async def save_charger(request: Request, charger_id: uuid.UUID, here: AdminPage, session: SessionDep) -> Response:
    values = await form_values(request)
    cp = await services.get_charge_point(session, here.org.id, charger_id)
    try:
        try:
            site_id = uuid.UUID(values.get("site_id", ""))
        except ValueError:
            raise ValidationFailed(
                N_("Choose the site the charger is installed at."), field="site_id", code="charger.site_required"
            ) from None
        name = (values.get("name") or "").strip() or None
        if name != cp.name:
            await services.rename_charge_point(session, here.actor, here.org.id, cp.id, name)
        if site_id != cp.site_id:
            await services.move_charge_point(session, here.actor, here.org.id, cp.id, site_id)
    except NotFound:
        errors = {"site_id": gettext("Choose the site the charger is installed at.")}
        return await _edit_form(request, here, session, charger_id, values, errors, 422)
    except ValidationFailed as exc:
        return await _edit_form(request, here, session, charger_id, values, field_errors(exc), 422)
    return redirect(request, _url(here, charger_id), gettext("The charger is saved."))


# -- new password and retirement: asked first ----------------------------------------------------------


@router.get("/portal/o/{org_id}/chargers/{charger_id}/password")
async def confirm_password(request: Request, charger_id: uuid.UUID, here: AdminPage, session: SessionDep) -> Response:
    cp = await services.get_charge_point(session, here.org.id, charger_id)
    return render(request, "portal/chargers/confirm_password.html", {"cp": cp})


@router.post("/portal/o/{org_id}/chargers/{charger_id}/password")
async def new_password(request: Request, charger_id: uuid.UUID, here: AdminPage, session: SessionDep) -> Response:
    try:
        password = await services.rotate_credential(session, here.actor, here.org.id, charger_id)
    except Conflict as exc:
        return redirect(request, _url(here, charger_id), error_text(exc), "danger")
    cp = await services.get_charge_point(session, here.org.id, charger_id)
    return render(
        request,
        "portal/chargers/new_password.html",
        {
            "cp": cp,
            "password": password,
            "ocpp_url": services.ocpp_url(settings_of(request).public_url, cp.ocpp_id),
        },
        headers={"Cache-Control": "no-store"},
    )


@router.get("/portal/o/{org_id}/chargers/{charger_id}/retire")
async def confirm_retire(request: Request, charger_id: uuid.UUID, here: AdminPage, session: SessionDep) -> Response:
    cp = await services.get_charge_point(session, here.org.id, charger_id)
    return render(
        request,
        "portal/chargers/confirm_retire.html",
        {
            "cp": cp,
            "running": await remote.running_on(session, here.org.id, cp.id),
            "delivered_wh": charger_model.delivered_wh,
        },
    )


@router.post("/portal/o/{org_id}/chargers/{charger_id}/retire")
async def retire(request: Request, charger_id: uuid.UUID, here: AdminPage, session: SessionDep) -> Response:
    try:
        cp = await services.retire_charge_point(session, here.actor, here.org.id, charger_id)
    except Conflict as exc:
        return redirect(request, _url(here, charger_id), error_text(exc), "danger")
    return redirect(
        request,
        f"{here.base}/chargers",
        gettext("%(name)s is retired and can no longer connect.") % {"name": cp.name or cp.ocpp_id},
    )


# -- commands with a form: firmware, diagnostics, remote start and stop ------------------------------------


def _reply(
    request: Request, here: OrgContext, charger_id: uuid.UUID, result: CommandResult | None, error: str | None
) -> Response:
    outcome = _outcome(result, error)
    if request.headers.get("hx-request") == "true":
        return render(request, "portal/chargers/_command_result.html", {"outcome": outcome})
    return redirect(request, _url(here, charger_id), outcome["message"], "success" if outcome["ok"] else "danger")


def _failure(exc: Exception) -> str:
    if isinstance(exc, ChargerNotConnected):
        return gettext("The charger is not connected. Try again when it is online.")
    if isinstance(exc, CommandFailed):
        return gettext("The charger did not answer in time.")
    assert isinstance(exc, ValidationFailed | Conflict)
    return error_text(exc)


@router.post("/portal/o/{org_id}/chargers/{charger_id}/firmware")
async def update_firmware(request: Request, charger_id: uuid.UUID, here: AdminPage, session: SessionDep) -> Response:
    values = await form_values(request)
    cp = await services.get_charge_point(session, here.org.id, charger_id)
    site = await get_site(session, here.org.id, cp.site_id)
    result = None
    try:
        retrieve_at = charger_model.parse_local_input(values.get("retrieve_at", ""), site.time_zone)
        if retrieve_at is None:
            raise ValidationFailed(N_("Choose a date and time."), field="retrieve_at", code="charger.moment_required")
        result = await maintenance.update_firmware(
            session, here.actor, here.org.id, cp.id, values.get("location", ""), retrieve_at
        )
    except (CommandFailed, ValidationFailed) as exc:
        return _reply(request, here, charger_id, None, _failure(exc))
    return _reply(request, here, charger_id, result, None)


@router.post("/portal/o/{org_id}/chargers/{charger_id}/diagnostics")
async def get_diagnostics(request: Request, charger_id: uuid.UUID, here: AdminPage, session: SessionDep) -> Response:
    values = await form_values(request)
    try:
        result = await maintenance.request_diagnostics(
            session, here.actor, here.org.id, charger_id, values.get("location", "")
        )
    except (CommandFailed, ValidationFailed) as exc:
        return _reply(request, here, charger_id, None, _failure(exc))
    return _reply(request, here, charger_id, result, None)


@router.get("/portal/o/{org_id}/chargers/{charger_id}/start-members")
async def start_members(
    request: Request, charger_id: uuid.UUID, here: AdminPage, session: SessionDep, member_q: str = ""
) -> Response:
    """The member picker of "Start charging", filtered as the administrator types."""
    await services.get_charge_point(session, here.org.id, charger_id)
    search = member_q.strip()
    return render(
        request,
        "portal/chargers/_start_members.html",
        {
            "candidates": await remote.start_candidates(session, here.org.id, search),
            "untagged": await remote.members_without_tag(session, here.org.id, search) if search else [],
            "member_search": search,
        },
    )


@router.post("/portal/o/{org_id}/chargers/{charger_id}/remote-start")
async def remote_start(request: Request, charger_id: uuid.UUID, here: AdminPage, session: SessionDep) -> Response:
    values = await form_values(request)
    result = None
    try:
        try:
            connector = int(values.get("connector", ""))
        except ValueError:
            raise ValidationFailed(
                N_("Choose a connector."), field="connector", code="remote.connector_required"
            ) from None
        try:
            member = uuid.UUID(values.get("member", ""))
        except ValueError:
            raise ValidationFailed(N_("Choose a member."), field="member", code="remote.member_required") from None
        result = await remote.remote_start(session, here.actor, here.org.id, charger_id, connector, member)
    except NotFound:
        await services.get_charge_point(session, here.org.id, charger_id)  # another tenant's charger: 404
        return _reply(request, here, charger_id, None, gettext("Choose a member."))
    except (CommandFailed, ValidationFailed, Conflict) as exc:
        return _reply(request, here, charger_id, None, _failure(exc))
    return _reply(request, here, charger_id, result, None)


@router.get("/portal/o/{org_id}/chargers/{charger_id}/sessions/{transaction_id}/stop")
async def confirm_stop(
    request: Request, charger_id: uuid.UUID, transaction_id: int, here: AdminPage, session: SessionDep
) -> Response:
    """The question before a stop, as a page: the browser's dialog asks it only when scripts run."""
    cp = await services.get_charge_point(session, here.org.id, charger_id)
    try:
        running = await remote.running_session(session, here.org.id, cp.id, transaction_id)
    except Conflict as exc:
        return redirect(request, _url(here, charger_id), error_text(exc), "warning")
    context = {
        "s": running,
        "cp_label": cp.name or cp.ocpp_id,
        "cp_url": _url(here, charger_id),
        "delivered_wh": charger_model.delivered_wh,
    }
    return render(request, "portal/chargers/confirm_stop.html", context)


@router.post("/portal/o/{org_id}/chargers/{charger_id}/sessions/{transaction_id}/stop")
async def remote_stop(
    request: Request, charger_id: uuid.UUID, transaction_id: int, here: AdminPage, session: SessionDep
) -> Response:
    if (await form_values(request)).get("confirmed") != "1":
        return await confirm_stop(request, charger_id, transaction_id, here, session)
    try:
        result = await remote.remote_stop(session, here.actor, here.org.id, charger_id, transaction_id)
    except (CommandFailed, Conflict) as exc:
        return _reply(request, here, charger_id, None, _failure(exc))
    return _reply(request, here, charger_id, result, None)
