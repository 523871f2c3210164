"""Operator staff's subscription pages: plans (new plan, default plan), an organisation's plan and how it
pays, and the quarter runs with their progress, failures and a retry. Staff only (`OperatorPage`):
anyone else gets 404."""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation

from fastapi import APIRouter, Request
from sqlalchemy import select
from starlette.responses import Response

from ladeportal.db.base import utcnow
from ladeportal.errors import DomainError, NotFound, ValidationFailed
from ladeportal.i18n import N_, current_language, gettext
from ladeportal.orgs.models import Organization
from ladeportal.platform.audit import Actor
from ladeportal.subscriptions import plans as plan_services
from ladeportal.subscriptions import runs
from ladeportal.subscriptions.models import PlanUnit, SubscriptionRun
from ladeportal.subscriptions.quarters import Quarter, current_quarter
from ladeportal.subscriptions.wording import price_list
from ladeportal.web.deps import SessionDep
from ladeportal.web.portal.access import OperatorPage, Viewer
from ladeportal.web.portal.error_texts import error_text
from ladeportal.web.portal.flash import redirect
from ladeportal.web.portal.forms import field_errors, form_values
from ladeportal.web.portal.templating import render

router = APIRouter()

PAGE = "/portal/operator/subscriptions"
TIER_ROWS = 4
AMOUNT_INVALID = N_("Enter an amount such as 99 or 99,50.")
UNIT_LABELS = {"charger": N_("Per charger"), "connector": N_("Per connector")}
PRORATION_LABELS = {
    "prorate": N_("Prorated on the next invoice"),
    "next_quarter": N_("Billed from the next quarter"),
}
COLLECTION_LABELS = {"send_invoice": N_("Invoice by e-mail")}


def _actor(viewer: Viewer) -> Actor:
    return Actor(label="operator", user_id=viewer.user.id, is_operator=True)


def _minor(raw: str | None, field: str, *, required: bool = True) -> int | None:
    text = (raw or "").replace(" ", "").replace("\u00a0", "").replace(",", ".")
    if not text:
        if required:
            raise ValidationFailed(AMOUNT_INVALID, field=field, code="subscriptions.amount_invalid")
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValidationFailed(AMOUNT_INVALID, field=field, code="subscriptions.amount_invalid") from None
    if value != value.quantize(Decimal("0.01")) or value < 0 or value > 10_000_000:
        raise ValidationFailed(AMOUNT_INVALID, field=field, code="subscriptions.amount_invalid")
    return int(value * 100)


def _plan_input(values: dict[str, str]) -> plan_services.PlanInput:
    tiers: list[tuple[int | None, int]] = []
    for n in range(1, TIER_ROWS + 1):
        price = _minor(values.get(f"price_{n}"), "tiers", required=n == 1)
        if price is None:
            break
        raw_up_to = values.get(f"up_to_{n}", "")
        if raw_up_to and not raw_up_to.isdigit():
            raise ValidationFailed(
                "Each tier must end above the one before it.", field="tiers", code="subscriptions.tier_order"
            )
        tiers.append((int(raw_up_to) if raw_up_to else None, price))
    days = values.get("days_until_due", "14")
    return plan_services.PlanInput(
        name=values.get("name", ""),
        unit=values.get("unit", ""),
        currency=values.get("currency", ""),
        tiers=tiers,
        minimum_quarter_minor=_minor(values.get("minimum"), "minimum", required=False) or 0,
        proration=values.get("proration", ""),
        days_until_due=int(days) if days.isdigit() else 0,
        is_default=values.get("is_default") == "1",
    )


async def _page(
    request: Request,
    session: SessionDep,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    language = current_language()
    plans = await plan_services.list_plans(session)
    run_rows = [await runs.progress(session, run) for run in await runs.list_runs(session)]
    failures = {p.run.id: await runs.failures(session, p.run.id) for p in run_rows if p.failed}
    return render(
        request,
        "portal/operator/subscriptions.html",
        {
            "plans": [(plan, price_list(plan.tiers, PlanUnit(plan.unit), plan.currency, language)) for plan in plans],
            "runs": run_rows,
            "failures": failures,
            "suggested_quarter": str(current_quarter(utcnow())),
            "values": values or {"currency": "NOK", "unit": "charger", "proration": "prorate", "days_until_due": "14"},
            "errors": errors or {},
            "tier_rows": range(1, TIER_ROWS + 1),
            "unit_labels": UNIT_LABELS,
            "proration_labels": PRORATION_LABELS,
            "collection_labels": COLLECTION_LABELS,
        },
        status_code=status_code,
    )


@router.get(PAGE)
async def subscriptions_page(request: Request, viewer: OperatorPage, session: SessionDep) -> Response:
    return await _page(request, session)


@router.get(PAGE + "/runs/{run_id}/progress")
async def run_progress(request: Request, viewer: OperatorPage, session: SessionDep, run_id: uuid.UUID) -> Response:
    run = await session.get(SubscriptionRun, run_id)
    if run is None:
        raise NotFound("No such run.", code="subscriptions.run_not_found")
    return render(request, "portal/operator/_subscription_run.html", {"p": await runs.progress(session, run)})


@router.post(PAGE + "/plans")
async def new_plan(request: Request, viewer: OperatorPage, session: SessionDep) -> Response:
    values = await form_values(request)
    try:
        await plan_services.create_plan(session, _actor(viewer), _plan_input(values))
    except ValidationFailed as exc:
        return await _page(request, session, values=values, errors=field_errors(exc), status_code=422)
    except DomainError as exc:
        await session.rollback()
        return await _page(request, session, values=values, errors=field_errors(exc), status_code=409)
    return redirect(request, PAGE, gettext("The plan is saved."))


@router.post(PAGE + "/plans/{plan_id}/default")
async def default_plan(request: Request, viewer: OperatorPage, session: SessionDep, plan_id: uuid.UUID) -> Response:
    await plan_services.make_default(session, _actor(viewer), plan_id)
    return redirect(request, PAGE, gettext("The default plan is changed."))


@router.post(PAGE + "/assign")
async def assign(request: Request, viewer: OperatorPage, session: SessionDep) -> Response:
    values = await form_values(request)
    number = values.get("org_number", "").replace(" ", "")
    org_id = await session.scalar(select(Organization.id).where(Organization.org_number == number))
    try:
        if org_id is None:
            raise ValidationFailed(
                "No organisation has this number.", field="org_number", code="subscriptions.org_not_found"
            )
        try:
            plan_id = uuid.UUID(values.get("plan", ""))
        except ValueError:
            raise NotFound("No such plan.", code="subscriptions.plan_not_found") from None
        await plan_services.assign_plan(session, _actor(viewer), org_id, plan_id, values.get("collection", ""))
    except DomainError as exc:
        await session.rollback()
        return redirect(request, PAGE, error_text(exc), level="danger")
    return redirect(request, PAGE, gettext("The organisation's plan is saved."))


@router.post(PAGE + "/runs")
async def start(request: Request, viewer: OperatorPage, session: SessionDep) -> Response:
    values = await form_values(request)
    try:
        quarter = Quarter.parse(values.get("quarter", ""))
    except ValidationFailed as exc:
        return redirect(request, PAGE, error_text(exc), level="danger")
    if values.get("confirm") != "1":
        total = len((await session.execute(runs.eligible_orgs())).all())
        existing = await session.scalar(select(SubscriptionRun).where(SubscriptionRun.quarter == str(quarter)))
        return render(
            request,
            "portal/operator/subscription_run_confirm.html",
            {"quarter": str(quarter), "total": total, "existing": existing},
        )
    await runs.start_run(session, _actor(viewer), quarter)
    return redirect(request, PAGE, gettext("The quarter's invoices are being made."))


@router.post(PAGE + "/runs/{run_id}/retry")
async def retry(request: Request, viewer: OperatorPage, session: SessionDep, run_id: uuid.UUID) -> Response:
    await runs.retry_failed(session, _actor(viewer), run_id)
    return redirect(request, PAGE, gettext("The refused invoices are tried again."))
