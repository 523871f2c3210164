"""Invoicing (for the board and the finance contact; anyone else gets 404): the overview of the monthly
runs and of what members owe, one run's preview (what would be invoiced, per member), its approval
(a confirmation page that works without scripts) and its progress while the invoices are made.

Reads come from billing/invoice_listing.py; opening and approving a run are billing/invoice_runs.py's
operations, the same the API, the CLI and the periodic job call.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from fastapi import APIRouter, Request
from starlette.responses import Response

from ladeportal.billing.invoice_listing import current_run, list_runs, outstanding, parse_month, run_counts
from ladeportal.billing.invoice_models import InvoiceRun, RunState
from ladeportal.billing.invoice_preview import MemberDraft, member_drafts
from ladeportal.billing.invoice_runs import approve_run, get_run, open_run
from ladeportal.billing.items import held_back_sessions
from ladeportal.billing.unpriced import UnpricedGroup, unpriced_sessions
from ladeportal.errors import DomainError, NotFound, ValidationFailed
from ladeportal.i18n import N_, gettext
from ladeportal.web.deps import SessionDep
from ladeportal.web.portal.access import OrgContext, StaffPage
from ladeportal.web.portal.error_texts import error_text
from ladeportal.web.portal.flash import redirect
from ladeportal.web.portal.forms import form_values
from ladeportal.web.portal.nav import ORDER, NavSection, register_section
from ladeportal.web.portal.pages.invoicing_common import PATH, labels, last_month, page_number, today_in
from ladeportal.web.portal.pages.members_common import query_without
from ladeportal.web.portal.templating import render

router = APIRouter()
register_section(NavSection("invoicing", N_("Invoicing"), PATH, ORDER["invoicing"]))
DRAFTS_PER_PAGE = 50


def _run_id(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise NotFound("No such invoice run.", code="invoicing.run_not_found") from None


@router.get(f"/portal/o/{{org_id}}{PATH}")
async def overview(request: Request, here: StaffPage, session: SessionDep, page: str | None = None) -> Response:
    run = await current_run(session, here.org.id)
    return render(
        request,
        "portal/invoicing/overview.html",
        {
            **labels(),
            "current": run,
            "counts": await run_counts(session, here.org.id, run.id) if run else None,
            "runs": await list_runs(session, here.org.id, page=page_number(page)),
            "owed": await outstanding(session, here.org.id, here.org.currency, today_in(here)),
            "suggested_month": last_month(here).strftime("%Y-%m"),
            "errors": {},
        },
    )


@router.post(f"/portal/o/{{org_id}}{PATH}/runs")
async def start_run(request: Request, here: StaffPage, session: SessionDep) -> Response:
    """Open (or find) the run of a month: its items are collected and it waits for approval."""
    values = await form_values(request)
    try:
        month = parse_month(values.get("month"), "month")
        if month is None:
            raise ValidationFailed("Required.", field="month", code="price.required")
        run = await open_run(session, here.actor, here.org.id, month)
    except DomainError as exc:
        await session.rollback()
        current = await current_run(session, here.org.id)
        return render(
            request,
            "portal/invoicing/overview.html",
            {
                **labels(),
                "current": current,
                "counts": await run_counts(session, here.org.id, current.id) if current else None,
                "runs": await list_runs(session, here.org.id),
                "owed": await outstanding(session, here.org.id, here.org.currency, today_in(here)),
                "suggested_month": values.get("month", "")[:7],
                "errors": {"month": error_text(exc)},
            },
            status_code=422,
        )
    return redirect(request, f"{here.base}{PATH}/runs/{run.id}", gettext("The preview is ready."))


@dataclass(frozen=True)
class Preview:
    drafts: list[MemberDraft]  # this page's
    invoiced: int
    carried: list[MemberDraft]
    total_minor: int
    net_minor: int
    vat_minor: int
    energy_wh: int
    held_back: int
    unpriced: list[UnpricedGroup]
    page: int
    pages: int


async def _preview(session: SessionDep, here: OrgContext, run: InvoiceRun, page: int) -> Preview:
    drafts = await member_drafts(session, run)
    billed = [d for d in drafts if not d.carried_over]
    pages = max(1, -(-len(billed) // DRAFTS_PER_PAGE))
    page = min(page, pages)
    return Preview(
        drafts=billed[(page - 1) * DRAFTS_PER_PAGE : page * DRAFTS_PER_PAGE],
        invoiced=len(billed),
        carried=[d for d in drafts if d.carried_over],
        total_minor=sum(d.total_minor for d in billed),
        net_minor=sum(d.net_minor for d in billed),
        vat_minor=sum(d.vat_minor for d in billed),
        energy_wh=sum(d.energy_wh for d in billed),
        held_back=await held_back_sessions(session, here.org.id, until=run.cutoff_at),
        unpriced=await unpriced_sessions(session, here.org.id, until=run.cutoff_at),
        page=page,
        pages=pages,
    )


@router.get(f"/portal/o/{{org_id}}{PATH}/runs/{{run_id}}")
async def run_page(
    request: Request, run_id: str, here: StaffPage, session: SessionDep, page: str | None = None
) -> Response:
    run = await get_run(session, here.org.id, _run_id(run_id))
    counts = await run_counts(session, here.org.id, run.id)
    context = {**labels(), "run": run, "counts": counts}
    if request.query_params.get("partial") == "progress":
        # The progress card alone, for its refresh every 2 s while the invoices are made.
        return render(request, "portal/invoicing/_progress.html", context, headers={"Cache-Control": "no-store"})
    preview = None
    if run.state == RunState.awaiting_approval:
        preview = await _preview(session, here, run, page_number(page))
    return render(
        request,
        "portal/invoicing/run.html",
        {**context, "preview": preview, "paging_query": query_without(request, "page")},
        headers={"Cache-Control": "no-store"},
    )


@router.get(f"/portal/o/{{org_id}}{PATH}/runs/{{run_id}}/approve")
async def approve_confirm(request: Request, run_id: str, here: StaffPage, session: SessionDep) -> Response:
    run = await get_run(session, here.org.id, _run_id(run_id))
    if run.state != RunState.awaiting_approval:
        return redirect(request, f"{here.base}{PATH}/runs/{run.id}")
    return await _confirm_page(request, here, session, run)


async def _confirm_page(
    request: Request, here: OrgContext, session: SessionDep, run: InvoiceRun, error: str | None = None
) -> Response:
    return render(
        request,
        "portal/invoicing/approve.html",
        {**labels(), "run": run, "preview": await _preview(session, here, run, 1), "error": error},
        status_code=422 if error else 200,
    )


@router.post(f"/portal/o/{{org_id}}{PATH}/runs/{{run_id}}/approve")
async def approve(request: Request, run_id: str, here: StaffPage, session: SessionDep) -> Response:
    the_id = (await get_run(session, here.org.id, _run_id(run_id))).id
    await session.commit()  # ends the read: the operation works in its own transaction
    try:
        await approve_run(session, here.actor, here.org.id, the_id)
    except DomainError as exc:
        await session.rollback()
        run = await get_run(session, here.org.id, the_id)
        return await _confirm_page(request, here, session, run, error_text(exc))
    return redirect(
        request, f"{here.base}{PATH}/runs/{the_id}", gettext("Approved: the invoices are being made and sent.")
    )
