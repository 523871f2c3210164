"""Settings: the organisation's API tokens for integrations (created once-visible, revocable); alerts: when
a charger counts as offline, and how the signed-in admin wants to be told."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from starlette.responses import Response

from ladeportal.alerts import preferences as alert_prefs
from ladeportal.alerts.models import Channel
from ladeportal.errors import ValidationFailed
from ladeportal.i18n import N_, gettext
from ladeportal.platform.api_tokens import SCOPES, create_api_token, list_api_tokens, revoke_api_token
from ladeportal.web.deps import SessionDep
from ladeportal.web.portal.access import AdminPage, OrgContext, StaffPage
from ladeportal.web.portal.flash import redirect
from ladeportal.web.portal.forms import field_errors, form_values, required_int
from ladeportal.web.portal.nav import ORDER, NavSection, register_section
from ladeportal.web.portal.templating import render

router = APIRouter()
register_section(NavSection("settings", N_("Settings"), "/settings", ORDER["settings"], icon="settings"))

SCOPE_LABELS = {"read": N_("Read"), "write": N_("Read and write")}
CHANNEL_LABELS = {Channel.off: N_("Off"), Channel.sms: N_("SMS"), Channel.email: N_("E-mail")}


async def _page(
    request: Request,
    here: OrgContext,
    session: SessionDep,
    *,
    new_secret: str | None = None,
    values: dict[str, object] | None = None,
    errors: dict[str, str] | None = None,
    alert_values: dict[str, object] | None = None,
    alert_errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    alerts = await _alerts_context(session, here, alert_values or {}, alert_errors or {})
    return render(
        request,
        "portal/settings/index.html",
        {
            "alerts": alerts,
            "tokens": await list_api_tokens(session, here.org.id),
            "scopes": SCOPES,
            "scope_labels": SCOPE_LABELS,
            "new_secret": new_secret,
            "values": values or {},
            "errors": errors or {},
            # Shown once and never cached: the page with the secret must not come back from history.
        },
        status_code=status_code,
        headers={"Cache-Control": "no-store"} if new_secret else None,
    )


async def _alerts_context(
    session: SessionDep, here: OrgContext, values: dict[str, object], errors: dict[str, str]
) -> dict[str, object] | None:
    """The alerts section: only admins receive alerts and set the threshold (staff looking in have
    no choice of their own here)."""
    if not here.is_admin or here.staff_view:
        return None
    channel, has_email = await alert_prefs.own_choice(session, here.org.id, here.viewer.user.id)
    return {
        "values": {
            "offline_minutes": await alert_prefs.offline_minutes(session, here.org.id),
            "channel": channel.value,
            **values,
        },
        "errors": errors,
        "has_email": has_email,
        "channels": list(Channel),
        "channel_labels": CHANNEL_LABELS,
    }


@router.post("/portal/o/{org_id}/settings/alerts/threshold")
async def set_alert_threshold(request: Request, here: AdminPage, session: SessionDep) -> Response:
    values = await form_values(request)
    try:
        minutes = required_int(
            values.get("offline_minutes"),
            "offline_minutes",
            alert_prefs.OFFLINE_MINUTES_INVALID,
            code="alerts.offline_minutes_range",
        )
        await alert_prefs.set_offline_minutes(session, here.actor, here.org.id, minutes)
    except ValidationFailed as exc:
        return await _page(
            request, here, session, alert_values=dict(values), alert_errors=field_errors(exc), status_code=422
        )
    return redirect(request, f"{here.base}/settings", gettext("The alert settings are saved."))


@router.post("/portal/o/{org_id}/settings/alerts/me")
async def set_alert_channel(request: Request, here: AdminPage, session: SessionDep) -> Response:
    values = await form_values(request)
    try:
        channel = alert_prefs.parse_channel(values.get("channel"))
        await alert_prefs.set_channel(session, here.org.id, here.viewer.user.id, channel)
    except ValidationFailed as exc:
        return await _page(
            request, here, session, alert_values=dict(values), alert_errors=field_errors(exc), status_code=422
        )
    return redirect(request, f"{here.base}/settings", gettext("Your alert choice is saved."))


@router.get("/portal/o/{org_id}/settings")
async def settings_page(request: Request, here: StaffPage, session: SessionDep) -> Response:
    return await _page(request, here, session)


@router.post("/portal/o/{org_id}/settings/tokens")
async def create_token(request: Request, here: AdminPage, session: SessionDep) -> Response:
    form = await request.form()
    name = str(form.get("name") or "").strip()
    scopes = [str(s) for s in form.getlist("scopes")]
    try:
        new = await create_api_token(session, here.actor, here.org.id, name, scopes)
    except ValidationFailed as exc:
        return await _page(
            request, here, session, values={"name": name, "scopes": scopes}, errors=field_errors(exc), status_code=422
        )
    # Rendered directly (no redirect) so the secret never travels in a cookie or URL.
    return await _page(request, here, session, new_secret=new.secret)


@router.post("/portal/o/{org_id}/settings/tokens/{token_id}/revoke")
async def revoke_token(request: Request, token_id: uuid.UUID, here: AdminPage, session: SessionDep) -> Response:
    await revoke_api_token(session, here.actor, here.org.id, token_id)
    return redirect(request, f"{here.base}/settings", gettext("The token is revoked."))
