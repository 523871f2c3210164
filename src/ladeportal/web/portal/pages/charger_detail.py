"""One charger: connectors, sessions, status history, last messages, and commands with their result."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from ladeportal.chargers import remote
from ladeportal.chargers.commands import ChargerNotConnected, CommandFailed, CommandResult, send_command
from ladeportal.chargers.services import get_charge_point
from ladeportal.db.base import utcnow
from ladeportal.errors import ValidationFailed
from ladeportal.i18n import N_, gettext
from ladeportal.sessions.labels import ANOMALY_LABELS
from ladeportal.sessions.models import ChargingSession
from ladeportal.web.deps import SessionDep
from ladeportal.web.portal import charger_model, readmodels
from ladeportal.web.portal.access import AdminPage, StaffPage
from ladeportal.web.portal.error_texts import error_text
from ladeportal.web.portal.flash import redirect
from ladeportal.web.portal.forms import form_values
from ladeportal.web.portal.ocpp_words import ocpp_word
from ladeportal.web.portal.security import settings_of
from ladeportal.web.portal.templating import render

router = APIRouter()


def _command(kind: str, values: dict[str, str]) -> tuple[str, dict[str, Any]]:
    def connector(allow_zero: bool) -> int:
        try:
            number = int(values.get("connector", ""))
        except ValueError:
            number = -1
        if number < (0 if allow_zero else 1):
            raise ValidationFailed(N_("Choose a connector."), field="connector", code="remote.connector_required")
        return number

    if kind == "reset":
        reset_type = values.get("type", "Soft")
        if reset_type not in ("Soft", "Hard"):
            raise ValidationFailed(
                N_("Choose a soft or a hard restart."), field="type", code="command.reset_type_required"
            )
        return "Reset", {"type": reset_type}
    if kind == "unlock":
        return "UnlockConnector", {"connectorId": connector(False)}
    if kind == "availability":
        availability = values.get("availability", "")
        if availability not in ("Operative", "Inoperative"):
            raise ValidationFailed(
                N_("Choose available or unavailable."), field="availability", code="command.availability_required"
            )
        return "ChangeAvailability", {"connectorId": connector(True), "type": availability}
    raise ValidationFailed(N_("Unknown command."), field="command", code="command.unknown")


def _outcome(result: CommandResult | None, error: str | None) -> dict[str, Any]:
    if error is not None:
        return {"ok": False, "message": error}
    assert result is not None
    status = ocpp_word((result.response or {}).get("status"))
    if result.accepted:
        return {"ok": True, "message": gettext("The charger answered: %(status)s.") % {"status": status or "OK"}}
    if result.error_code:
        message = gettext("The charger refused the command (%(code)s).") % {"code": ocpp_word(result.error_code)}
        return {"ok": False, "message": message}
    return {"ok": False, "message": gettext("The charger answered: %(status)s.") % {"status": status or "?"}}


async def _sessions_it_would_end(
    session: AsyncSession, org_id: uuid.UUID, charger_id: uuid.UUID, action: str, payload: dict[str, Any]
) -> list[ChargingSession] | None:
    """The running sessions a restart or an unlock would end, or None when it needs no confirmation.
    A restart ends every session on the charger (OCPP 1.6 stops them before rebooting), an unlock the
    one on its connector; a hard restart is disruptive even when nobody charges, so it always asks."""
    if action not in ("Reset", "UnlockConnector"):
        return None
    await get_charge_point(session, org_id, charger_id)  # NotFound for other tenants' chargers
    running = await remote.running_on(session, org_id, charger_id, payload.get("connectorId"))
    if running or (action == "Reset" and payload.get("type") == "Hard"):
        return running
    return None


def _confirm_command(
    request: Request,
    base: str,
    charger_id: uuid.UUID,
    kind: str,
    values: dict[str, str],
    action: str,
    ending: list[ChargingSession],
) -> Response:
    context = {
        "kind": kind,
        "action": action,
        "ending": ending,
        "cp_url": f"{base}/chargers/{charger_id}",
        "fields": {k: v for k, v in values.items() if k in ("type", "connector")},
        "delivered_wh": charger_model.delivered_wh,
    }
    if request.headers.get("hx-request") == "true":
        return render(request, "portal/chargers/_command_confirm.html", context)
    return render(request, "portal/chargers/confirm_command.html", context)


@router.get("/portal/o/{org_id}/chargers/{charger_id}")
async def charger_page(request: Request, charger_id: uuid.UUID, here: StaffPage, session: SessionDep) -> Response:
    heartbeat = settings_of(request).ocpp_heartbeat_interval
    if request.query_params.get("partial") == "status":
        # The status card polls this URL for itself, so connector states change on screen as they happen.
        status = await charger_model.charger_status(session, here.org.id, charger_id, heartbeat)
        return render(
            request,
            "portal/chargers/_status_card.html",
            {
                "d": status,
                "cp": status.charge_point,
                "state_labels": readmodels.STATE_LABELS,
                "connector_labels": readmodels.CONNECTOR_LABELS,
            },
        )
    detail = await charger_model.charger_detail(session, here.org.id, charger_id, heartbeat)
    member_search = (request.query_params.get("member_q") or "").strip()
    return render(
        request,
        "portal/chargers/detail.html",
        {
            "d": detail,
            "cp": detail.charge_point,
            "state_labels": readmodels.STATE_LABELS,
            "connector_labels": readmodels.CONNECTOR_LABELS,
            "maintenance_labels": charger_model.MAINTENANCE_LABELS,
            "anomaly_labels": ANOMALY_LABELS,
            "delivered_wh": charger_model.delivered_wh,
            "command_labels": charger_model.COMMAND_LABELS,
            "command_states": charger_model.COMMAND_STATES,
            "member_search": member_search,
            "candidates": await remote.start_candidates(session, here.org.id, member_search) if here.is_admin else [],
            "untagged": await remote.members_without_tag(session, here.org.id, member_search)
            if here.is_admin and member_search
            else [],
            "now_local": charger_model.local_input_value(utcnow(), detail.time_zone),
        },
    )


@router.post("/portal/o/{org_id}/chargers/{charger_id}/commands/{kind}")
async def run_command(
    request: Request, charger_id: uuid.UUID, kind: str, here: AdminPage, session: SessionDep
) -> Response:
    values = await form_values(request)
    result, error = None, None
    try:
        action, payload = _command(kind, values)
        if values.get("confirmed") != "1":
            ending = await _sessions_it_would_end(session, here.org.id, charger_id, action, payload)
            if ending is not None:
                return _confirm_command(request, here.base, charger_id, kind, values, action, ending)
        result = await send_command(session, here.actor, here.org.id, charger_id, action, payload)
    except ChargerNotConnected:
        error = gettext("The charger is not connected. Try again when it is online.")
    except CommandFailed:
        error = gettext("The charger did not answer in time.")
    except ValidationFailed as exc:
        error = error_text(exc)
    outcome = _outcome(result, error)
    if request.headers.get("hx-request") == "true":
        return render(request, "portal/chargers/_command_result.html", {"outcome": outcome})
    return redirect(
        request, f"{here.base}/chargers/{charger_id}", outcome["message"], "success" if outcome["ok"] else "danger"
    )
