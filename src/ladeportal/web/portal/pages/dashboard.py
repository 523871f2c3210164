"""The organisation's dashboard: chargers by state, today's sessions, this month's energy, problems."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from ladeportal.alerts.kinds import LABELS as ALERT_LABELS
from ladeportal.i18n import N_
from ladeportal.sessions.labels import ANOMALY_LABELS
from ladeportal.web.deps import SessionDep
from ladeportal.web.portal import dashboard_model, readmodels
from ladeportal.web.portal.access import StaffPage
from ladeportal.web.portal.nav import ORDER, NavSection, register_section
from ladeportal.web.portal.pages import payments
from ladeportal.web.portal.security import settings_of
from ladeportal.web.portal.templating import render

router = APIRouter()
register_section(NavSection("dashboard", N_("Dashboard"), "/", ORDER["dashboard"], icon="home"))


@router.get("/portal/o/{org_id}/")
async def dashboard(request: Request, here: StaffPage, session: SessionDep) -> Response:
    data = await dashboard_model.dashboard(session, here.org, settings_of(request).ocpp_heartbeat_interval)
    if payments.payments_enabled(request):
        data.payments = await dashboard_model.payments_card(session, here.org.id)
    return render(
        request,
        "portal/dashboard.html",
        {
            "d": data,
            "state_labels": readmodels.STATE_LABELS,
            "anomaly_labels": ANOMALY_LABELS,
            "alert_labels": ALERT_LABELS,
            "payments_labels": payments.STATE_LABELS,
            "payments_colours": payments.STATE_COLOURS,
        },
    )
