"""Settings -> Subscription: what the organisation pays the platform each quarter (org_admin and finance;
anyone else gets 404)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from ladeportal.db.base import utcnow
from ladeportal.i18n import N_, current_language
from ladeportal.subscriptions.models import PlanUnit, Proration, SubInvoiceState
from ladeportal.subscriptions.overview import owner_view
from ladeportal.subscriptions.wording import line_text, price_list, unit_word
from ladeportal.web.deps import SessionDep
from ladeportal.web.portal.access import StaffPage
from ladeportal.web.portal.nav import ORDER, NavSection, register_section
from ladeportal.web.portal.templating import render

router = APIRouter()
register_section(
    NavSection("subscription", N_("Subscription"), "/subscription", ORDER["subscription"], icon="settings")
)

INVOICE_STATES = {
    SubInvoiceState.pending: N_("Being made"),
    SubInvoiceState.open: N_("Open"),
    SubInvoiceState.paid: N_("Paid"),
    SubInvoiceState.void: N_("Void"),
    SubInvoiceState.uncollectible: N_("Uncollectible"),
}
INVOICE_COLOURS = {
    SubInvoiceState.pending: "secondary",
    SubInvoiceState.open: "warning",
    SubInvoiceState.paid: "success",
    SubInvoiceState.void: "secondary",
    SubInvoiceState.uncollectible: "danger",
}
PRORATION_TEXT = {
    Proration.prorate: N_("A charger added during a quarter pays its share of that quarter on the next invoice."),
    Proration.next_quarter: N_("A charger added during a quarter is first billed from the next quarter."),
}


@router.get("/portal/o/{org_id}/subscription")
async def subscription_page(request: Request, here: StaffPage, session: SessionDep) -> Response:
    view = await owner_view(session, here.org, utcnow())
    language = current_language()
    plan = view.plan
    lines = []
    if plan is not None and view.quote is not None:
        unit = PlanUnit(plan.unit)
        lines = [(line_text(line.as_dict(), unit, plan.currency, language), line) for line in view.quote.lines]
    return render(
        request,
        "portal/subscription/index.html",
        {
            "view": view,
            "prices": price_list(plan.tiers, PlanUnit(plan.unit), plan.currency, language) if plan else [],
            "unit_one": unit_word(PlanUnit(plan.unit), 1, language) if plan else "",
            "unit_count": unit_word(PlanUnit(plan.unit), view.quantity, language) if plan else "",
            "proration_text": PRORATION_TEXT[Proration(plan.proration)] if plan else "",
            "quote_lines": lines,
            "states": INVOICE_STATES,
            "colours": INVOICE_COLOURS,
            "vat_percent": here.org.vat_rate_bp / 100,
        },
    )
