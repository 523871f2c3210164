"""Invoicing settings, the payouts Stripe made to the organisation's bank, and the accountant's export
of a month (CSV or XLSX). The settings are billing/invoice_settings.py's; the platform's fee is shown
but set only by platform staff."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from ladeportal.billing.accounting_export import FORMATS, MEDIA_TYPES, export_month
from ladeportal.billing.invoice_listing import list_payouts, parse_month
from ladeportal.billing.invoice_models import BillingSettings, LineMode
from ladeportal.billing.invoice_settings import billing_settings, update_billing_settings
from ladeportal.errors import DomainError, NotFound, ValidationFailed
from ladeportal.i18n import N_, current_language, gettext
from ladeportal.web.deps import SessionDep
from ladeportal.web.portal.access import OrgContext, StaffPage
from ladeportal.web.portal.error_texts import error_text
from ladeportal.web.portal.flash import redirect
from ladeportal.web.portal.forms import field_errors, form_values, optional_int, required_int
from ladeportal.web.portal.pages.invoicing_common import (
    PATH,
    kroner_text,
    labels,
    last_month,
    page_number,
    parse_kroner,
)
from ladeportal.web.portal.pages.members_common import query_without
from ladeportal.web.portal.security import settings_of
from ladeportal.web.portal.templating import render

router = APIRouter()
FILE_NAMES = {"nb": "fakturaer", "en": "invoices"}
LINE_MODE_LABELS = {
    LineMode.per_site_month: N_("One line per site and month (the sessions listed)"),
    LineMode.per_session: N_("One line per session"),
}
WHOLE_NUMBER = N_("Give a whole number.")


@router.get(f"/portal/o/{{org_id}}{PATH}/payouts")
async def payouts(request: Request, here: StaffPage, session: SessionDep, page: str | None = None) -> Response:
    return render(
        request,
        "portal/invoicing/payouts.html",
        {
            **labels(),
            "result": await list_payouts(session, here.org.id, page=page_number(page)),
            "paging_query": query_without(request, "page"),
        },
    )


@router.get(f"/portal/o/{{org_id}}{PATH}/export")
async def export_page(request: Request, here: StaffPage) -> Response:
    return render(
        request, "portal/invoicing/export.html", {**labels(), "month": last_month(here).strftime("%Y-%m"), "errors": {}}
    )


@router.get(f"/portal/o/{{org_id}}{PATH}/export.{{fmt}}")
async def export_download(request: Request, fmt: str, here: StaffPage, session: SessionDep) -> Response:
    if fmt not in FORMATS:
        raise NotFound("No such export.", code="export.not_found")
    raw = (request.query_params.get("month") or "").strip()[:20]
    try:
        month = parse_month(raw, "month") or last_month(here)
    except ValidationFailed as exc:
        return render(
            request,
            "portal/invoicing/export.html",
            {**labels(), "month": raw, "errors": {"month": error_text(exc)}},
            status_code=422,
        )
    language = current_language()
    content = await export_month(session, here.org.id, month, here.org.time_zone, fmt, language)
    filename = f"{FILE_NAMES.get(language, 'invoices')}-{here.org.org_number}-{month:%Y-%m}.{fmt}"
    return Response(
        content,
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


def _form_of(row: BillingSettings) -> dict[str, str]:
    return {
        "invoice_day": str(row.invoice_day),
        "days_until_due": str(row.days_until_due),
        "invoice_text": row.invoice_text or "",
        "footer": row.footer or "",
        "line_mode": LineMode(row.line_mode).value,
        "minimum_amount": kroner_text(row.minimum_amount_minor),
        "auto_approve": "1" if row.auto_approve else "",
        "reminder_days": ", ".join(str(d) for d in row.reminder_days or []),
        "block_after_days": "" if row.block_after_days is None else str(row.block_after_days),
    }


def _reminder_days(raw: str) -> list[int]:
    days = []
    for part in raw.replace(";", ",").split(","):
        if part.strip():
            value = optional_int(part, "reminder_days", WHOLE_NUMBER, code="invoicing.whole_number")
            if value is not None:
                days.append(value)
    return days


def _parsed(values: dict[str, str]) -> dict[str, Any]:
    return {
        "invoice_day": required_int(
            values.get("invoice_day"), "invoice_day", WHOLE_NUMBER, code="invoicing.whole_number"
        ),
        "days_until_due": required_int(
            values.get("days_until_due"), "days_until_due", WHOLE_NUMBER, code="invoicing.whole_number"
        ),
        "invoice_text": values.get("invoice_text", ""),
        "footer": values.get("footer", ""),
        "line_mode": values.get("line_mode", ""),
        "minimum_amount_minor": parse_kroner(values.get("minimum_amount"), "minimum_amount_minor", required=False) or 0,
        "auto_approve": values.get("auto_approve") == "1",
        "reminder_days": _reminder_days(values.get("reminder_days", "")),
        "block_after_days": optional_int(
            values.get("block_after_days"), "block_after_days", WHOLE_NUMBER, code="invoicing.whole_number"
        ),
    }


async def _settings_page(
    request: Request,
    here: OrgContext,
    row: BillingSettings,
    values: dict[str, str],
    errors: dict[str, str],
) -> Response:
    fee_bp = row.platform_fee_bp if row.platform_fee_bp is not None else settings_of(request).invoice_platform_fee_bp
    # The form names the amount field "minimum_amount"; the operation names it in øre.
    if "minimum_amount_minor" in errors:
        errors["minimum_amount"] = errors.pop("minimum_amount_minor")
    return render(
        request,
        "portal/invoicing/settings.html",
        {
            **labels(),
            "values": values,
            "errors": errors,
            "fee_percent": fee_bp / 100,
            "line_modes": [(mode.value, gettext(label)) for mode, label in LINE_MODE_LABELS.items()],
        },
        status_code=422 if errors else 200,
    )


@router.get(f"/portal/o/{{org_id}}{PATH}/settings")
async def settings_page(request: Request, here: StaffPage, session: SessionDep) -> Response:
    row = await billing_settings(session, here.org.id)
    return await _settings_page(request, here, row, _form_of(row), {})


@router.post(f"/portal/o/{{org_id}}{PATH}/settings")
async def settings_submit(request: Request, here: StaffPage, session: SessionDep) -> Response:
    values = await form_values(request)
    try:
        await update_billing_settings(session, here.actor, here.org.id, **_parsed(values))
    except DomainError as exc:
        await session.rollback()
        row = await billing_settings(session, here.org.id)
        return await _settings_page(request, here, row, values, field_errors(exc))
    return redirect(request, f"{here.base}{PATH}/settings", gettext("Invoicing settings saved."))
