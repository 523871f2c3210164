"""The price calculator: what a described session (plan, local start and end, kWh, site) costs, priced by
the same engine and quote function as the API and the session-stop code.

One partial (templates/portal/prices/_calculator.html) holds the form and its result: HTMX posts the
form and swaps the partial in place; without JavaScript the same POST answers with the whole page.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from babel.numbers import format_currency
from fastapi import APIRouter, Request
from starlette.responses import Response

from ladeportal.db.base import utcnow
from ladeportal.errors import NotFound, ValidationFailed
from ladeportal.i18n import BABEL_LOCALES, N_, current_language, gettext
from ladeportal.i18n.formatting import number
from ladeportal.orgs.services import get_site, list_sites
from ladeportal.pricing import services
from ladeportal.pricing.breakdown import CostLine, LineKind, Unit, WarningCode
from ladeportal.pricing.describe import describe_plan
from ladeportal.pricing.quotes import Quote, QuoteRequest, quote
from ladeportal.pricing.services import definition_of
from ladeportal.web.deps import SessionDep
from ladeportal.web.portal.access import OrgContext, StaffPage
from ladeportal.web.portal.forms import form_values
from ladeportal.web.portal.pages.prices_form import LOCAL_MINUTE, domain_errors, parse_local_moment
from ladeportal.web.portal.pages.prices_view import describe_locale
from ladeportal.web.portal.templating import render

router = APIRouter()

LINE_LABELS = {
    LineKind.ENERGY: N_("Energy"),
    LineKind.TIME: N_("Time fee"),
    LineKind.START_FEE: N_("Start fee"),
    LineKind.MINIMUM: N_("Up to the minimum per session"),
    LineKind.MAXIMUM: N_("Down to the maximum per session"),
}
WARNING_LABELS = {
    WarningCode.SPOT_PRICE_MISSING: N_(
        "No spot price is published for part of this time yet; the plan's fallback price was used there."
    ),
    WarningCode.METER_WENT_BACKWARDS: N_("A meter reading went backwards."),
    WarningCode.TOO_FEW_METER_READINGS: N_("No energy to bill."),
    WarningCode.DISCONNECTED_BEFORE_CONNECTED: N_("The session ends before it starts."),
}
MOST_KWH = Decimal(10_000)


@dataclass(frozen=True)
class LineView:
    label: str
    detail: str  # quantity and unit price, e.g. "12,5 kWh × kr 2,50"
    period_start: datetime | None
    period_end: datetime | None
    net: int
    vat: int
    gross: int


@dataclass(frozen=True)
class QuoteView:
    quote: Quote
    description: str
    time_zone: str
    start: datetime
    end: datetime
    energy_wh: int
    lines: list[LineView]
    warnings: list[str]


def _price(amount: Decimal, currency: str) -> str:
    pattern = "¤ #,##0.00" if amount == amount.quantize(Decimal("0.01")) else "¤ #,##0.00##"
    locale = BABEL_LOCALES.get(current_language(), "nb_NO")
    return format_currency(amount, currency, format=pattern, locale=locale, currency_digits=False)


def _line(line: CostLine, currency: str) -> LineView:
    if line.unit is Unit.KWH:
        detail = f"{number(line.quantity, 2)} kWh × {_price(line.unit_price, currency)}"
    elif line.unit is Unit.MINUTE:
        detail = gettext("%(minutes)s min × %(price)s per hour") % {
            "minutes": number(line.quantity),
            "price": _price(line.unit_price * 60, currency),
        }
    else:
        detail = ""
    label = gettext(LINE_LABELS[line.kind])
    return LineView(
        f"{label} ({line.label})" if line.label else label,
        detail,
        line.period_start,
        line.period_end,
        line.net,
        line.vat,
        line.gross,
    )


def quote_view(result: Quote, energy_wh: int, start: datetime, end: datetime) -> QuoteView:
    breakdown = result.breakdown
    codes = dict.fromkeys(w.code for w in breakdown.warnings)
    return QuoteView(
        result,
        describe_plan(definition_of(result.version).plan, describe_locale()),
        result.time_zone,
        start,
        end,
        energy_wh,
        [_line(line, breakdown.currency) for line in breakdown.lines],
        [gettext(WARNING_LABELS[code]) for code in codes],
    )


def _defaults(here: OrgContext) -> dict[str, str]:
    """A 30 kWh session from 18:00 on the next weekday to 07:00 the morning after; an evening that has
    begun already is not offered (a plan made today has no prices for its past)."""
    zone = ZoneInfo(here.org.time_zone)
    now = utcnow().astimezone(zone)
    day = now.date()
    while day.weekday() >= 5 or datetime.combine(day, time(18), zone) <= now:
        day += timedelta(days=1)
    start = datetime.combine(day, time(18), zone)
    end = datetime.combine(day + timedelta(days=1), time(7), zone)
    return {"start": start.strftime(LOCAL_MINUTE), "end": end.strftime(LOCAL_MINUTE), "kwh": "30"}


async def calculator_context(
    session: SessionDep,
    here: OrgContext,
    values: dict[str, str] | None,
    errors: dict[str, str] | None = None,
    result: QuoteView | None = None,
) -> dict[str, Any]:
    plans = await services.list_plans(session, here.org.id)
    return {
        "calc": {
            "values": values if values is not None else _defaults(here),
            "errors": errors or {},
            "result": result,
            "plans": plans,
            "sites": await list_sites(session, here.org.id),
        }
    }


def _uuid(raw: str | None) -> uuid.UUID | None:
    """None when not chosen; an id that is not one of this organisation's is a 404, like a wrong URL."""
    if not raw:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise NotFound("No such price plan.", code="plan.not_found") from None


async def _calculate(
    session: SessionDep, here: OrgContext, values: dict[str, str]
) -> tuple[QuoteView | None, dict[str, str]]:
    errors: dict[str, str] = {}
    plan_id, site_id = _uuid(values.get("plan_id")), _uuid(values.get("site_id"))
    if plan_id is None:
        errors["plan_id"] = gettext("Choose a plan.")
    zone = (await get_site(session, here.org.id, site_id)).time_zone if site_id else here.org.time_zone
    moments: dict[str, datetime] = {}
    for key in ("start", "end"):
        try:
            moments[key] = parse_local_moment(values.get(key, ""), zone)
        except ValueError:
            errors[key] = gettext("Give a date and time, e.g. 2026-05-01 00:00.")
    try:
        kwh = Decimal(values.get("kwh", "").replace(" ", "").replace(",", "."))
        if not kwh.is_finite() or not 0 <= kwh <= MOST_KWH:
            raise InvalidOperation
    except InvalidOperation:
        errors["kwh"] = gettext("Give the energy in kWh, from 0 to 10 000.")
        kwh = Decimal(0)
    if errors or plan_id is None:
        return None, errors
    energy_wh = int((kwh * 1000).to_integral_value())
    request = QuoteRequest(start=moments["start"], end=moments["end"], energy_wh=energy_wh, site_id=site_id)
    try:
        result = await quote(session, here.org.id, plan_id, request)
    except ValidationFailed as exc:
        return None, domain_errors(exc, zone)
    return quote_view(result, energy_wh, moments["start"], moments["end"]), {}


@router.get("/portal/o/{org_id}/prices/calculator")
async def calculator_page(request: Request, here: StaffPage, session: SessionDep, plan: str | None = None) -> Response:
    context = await calculator_context(session, here, None)
    chosen = _uuid(plan)
    if chosen is not None:
        await services.get_plan(session, here.org.id, chosen)
        context["calc"]["values"]["plan_id"] = str(chosen)
    return render(request, "portal/prices/calculator.html", context)


@router.post("/portal/o/{org_id}/prices/calculator")
async def calculate(request: Request, here: StaffPage, session: SessionDep) -> Response:
    values = await form_values(request)
    result, errors = await _calculate(session, here, values)
    context = await calculator_context(session, here, values, errors, result)
    if request.headers.get("hx-request") == "true":
        # HTMX swaps only successful answers by default, so problems come back as 200 with the messages.
        return render(request, "portal/prices/_calculator.html", context)
    return render(request, "portal/prices/calculator.html", context, status_code=422 if errors else 200)
