"""Invoicing of an organisation's members, for its board and finance contact (and their API tokens):
runs (list, open, one run, its preview, approve), invoices (filtered, paged; one with its lines,
credits and reminders), a member's account statement, what is outstanding, payouts, and the
accountant's export of a month. The same reads as the portal (billing/invoice_listing.py) and the same
operations (billing/invoice_runs.py). Another organisation's ids answer 404, as missing ones do.

Changing anything (opening or approving a run) needs a person with the role, or a token with the
"write" scope; a read-only token reads. Money is integer minor units with its currency; times are UTC.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from ladeportal.billing.accounting_export import FORMATS, MEDIA_TYPES, export_month
from ladeportal.billing.invoice_listing import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    InvoiceRow,
    current_run,
    invoice_detail,
    list_invoices,
    list_payouts,
    list_runs,
    member_statement,
    outstanding,
    parse_invoice_filter,
    parse_month,
    run_counts,
)
from ladeportal.billing.invoice_models import InvoiceRun
from ladeportal.billing.invoice_preview import member_drafts
from ladeportal.billing.invoice_runs import approve_run, get_run, open_run
from ladeportal.billing.items import held_back_sessions
from ladeportal.billing.unpriced import unpriced_sessions
from ladeportal.errors import NotFound, ValidationFailed
from ladeportal.limits import MAX_PAGE, MAX_SEARCH_CHARS
from ladeportal.orgs.models import Organization
from ladeportal.web.deps import OrgStaff, Principal, SessionDep, org_staff

router = APIRouter(tags=["invoicing"])


async def _writer(principal: Annotated[Principal, Depends(org_staff)]) -> Principal:
    # An API token without the "write" scope reads only (deps.principal_in gives it the finance role).
    if principal.user_id is None and principal.role != "org_admin":
        raise HTTPException(status_code=403, detail="This token may only read.")
    return principal


StaffWriter = Annotated[Principal, Depends(_writer)]


class RunOut(BaseModel):
    id: uuid.UUID
    period_month: date
    state: str
    cutoff_at: datetime
    approved_at: datetime | None
    automatic: bool
    members_total: int
    invoices_done: int
    carried_over: int
    total_minor: int
    currency: str
    started_at: datetime | None
    finished_at: datetime | None
    last_error_code: str | None
    invoices_by_state: dict[str, int] = Field(default_factory=dict)


class RunPageOut(BaseModel):
    items: list[RunOut]
    total: int
    page: int
    page_size: int
    pages: int


class OpenRunIn(BaseModel):
    month: str = Field(max_length=7, description="YYYY-MM: a month that has ended")


class LineOut(BaseModel):
    description: str
    net_minor: int
    vat_minor: int
    gross_minor: int
    vat_rate_bp: int
    energy_wh: int | None
    item_ids: list[int]


class DraftOut(BaseModel):
    membership_id: uuid.UUID
    member_name: str | None
    net_minor: int
    vat_minor: int
    total_minor: int
    energy_wh: int
    carried_over: bool
    lines: list[LineOut]


class PreviewOut(BaseModel):
    run: RunOut
    invoices: int
    carried_over: int
    total_minor: int
    held_back_sessions: int
    # Sessions no price plan priced (none for the member's group at that site): not invoiced.
    unpriced_sessions: int
    items: list[DraftOut]
    total: int
    page: int
    page_size: int
    pages: int


class InvoiceOut(BaseModel):
    id: uuid.UUID
    number: str | None
    period_month: date
    membership_id: uuid.UUID
    member_name: str | None
    group_name: str | None
    state: str
    currency: str
    net_minor: int
    vat_minor: int
    total_minor: int
    amount_paid_minor: int
    amount_credited_minor: int
    outstanding_minor: int
    application_fee_minor: int
    energy_wh: int
    due_date: date | None
    finalized_at: datetime | None
    paid_at: datetime | None
    payment_failed_at: datetime | None
    hosted_url: str | None
    pdf_url: str | None
    run_id: uuid.UUID | None


class InvoicePageOut(BaseModel):
    items: list[InvoiceOut]
    total: int
    page: int
    page_size: int
    pages: int


class ItemOut(BaseModel):
    id: int
    line_no: int
    kind: str
    description: str
    session_id: int | None
    occurred_at: datetime
    energy_wh: int
    vat_rate_bp: int
    net_minor: int
    vat_minor: int
    gross_minor: int


class CreditOut(BaseModel):
    id: uuid.UUID
    kind: str
    state: str
    amount_minor: int
    reason: str
    created_at: datetime


class InvoiceDetailOut(InvoiceOut):
    items: list[ItemOut]
    credits: list[CreditOut]
    reminders: list[dict[str, Any]]


class EntryOut(BaseModel):
    at: datetime
    kind: str
    invoice_id: uuid.UUID
    number: str | None
    amount_minor: int
    balance_minor: int


class MonthOut(BaseModel):
    period_month: date
    sessions: int
    energy_wh: int
    gross_minor: int


class StatementOut(BaseModel):
    membership_id: uuid.UUID
    member_name: str | None
    currency: str
    balance_minor: int
    outstanding_minor: int
    unbilled_minor: int
    unbilled_items: int
    entries: list[EntryOut]
    months: list[MonthOut]
    invoices: list[InvoiceOut]


class OutstandingOut(BaseModel):
    currency: str
    owed_minor: int
    owed_invoices: int
    overdue_minor: int
    overdue_invoices: int


class PayoutOut(BaseModel):
    id: str
    amount_minor: int
    currency: str
    status: str
    arrival_date: date
    created_at: datetime


class PayoutPageOut(BaseModel):
    items: list[PayoutOut]
    total: int
    page: int
    page_size: int
    pages: int


async def _org(session: SessionDep, org_id: uuid.UUID) -> Organization:
    org = await session.get(Organization, org_id)
    if org is None:  # pragma: no cover - the role dependency found the membership
        raise NotFound("No such organisation.", code="org.not_found")
    return org


def _today(org: Organization) -> date:
    return datetime.now(ZoneInfo(org.time_zone)).date()


def _run_out(run: InvoiceRun, by_state: dict[str, int] | None = None) -> RunOut:
    return RunOut(
        id=run.id,
        period_month=run.period_month,
        state=run.state.value,
        cutoff_at=run.cutoff_at,
        approved_at=run.approved_at,
        automatic=run.automatic,
        members_total=run.members_total,
        invoices_done=run.invoices_done,
        carried_over=run.carried_over,
        total_minor=run.total_minor,
        currency=run.currency,
        started_at=run.started_at,
        finished_at=run.finished_at,
        last_error_code=run.last_error_code,
        invoices_by_state=by_state or {},
    )


def _invoice_out(row: InvoiceRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "number": row.number,
        "period_month": row.period_month,
        "membership_id": row.membership_id,
        "member_name": row.member_name,
        "group_name": row.group_name,
        "state": row.state.value,
        "currency": row.currency,
        "net_minor": row.net_minor,
        "vat_minor": row.vat_minor,
        "total_minor": row.total_minor,
        "amount_paid_minor": row.amount_paid_minor,
        "amount_credited_minor": row.amount_credited_minor,
        "outstanding_minor": row.outstanding_minor,
        "application_fee_minor": row.application_fee_minor,
        "energy_wh": row.energy_wh,
        "due_date": row.due_date,
        "finalized_at": row.finalized_at,
        "paid_at": row.paid_at,
        "payment_failed_at": row.payment_failed_at,
        "hosted_url": row.hosted_url,
        "pdf_url": row.pdf_url,
        "run_id": row.run_id,
    }


async def _counted(session: SessionDep, org_id: uuid.UUID, run: InvoiceRun) -> RunOut:
    counts = await run_counts(session, org_id, run.id)
    return _run_out(run, {state.value: n for state, n in counts.by_state.items()})


@router.get("/orgs/{org_id}/invoicing/runs", response_model=RunPageOut)
async def runs(
    who: OrgStaff,
    session: SessionDep,
    page: int = Query(1, ge=1, le=MAX_PAGE),
    page_size: int = Query(24, ge=1, le=MAX_PAGE_SIZE),
) -> RunPageOut:
    result = await list_runs(session, who.organization_id, page=page, page_size=page_size)
    return RunPageOut(
        items=[_run_out(r) for r in result.items],
        total=result.total,
        page=result.page,
        page_size=result.page_size,
        pages=result.pages,
    )


@router.post("/orgs/{org_id}/invoicing/runs", response_model=RunOut, status_code=201)
async def open_month(who: StaffWriter, session: SessionDep, body: OpenRunIn) -> RunOut:
    """Open the run of a month that has ended (items collected, waiting for approval); the existing
    run when the month has one."""
    month = parse_month(body.month, "month")
    if month is None:
        raise ValidationFailed("Required.", field="month", code="price.required")
    run = await open_run(session, who.actor, who.organization_id, month)
    return await _counted(session, who.organization_id, run)


@router.get("/orgs/{org_id}/invoicing/runs/current", response_model=RunOut | None)
async def the_current_run(who: OrgStaff, session: SessionDep) -> RunOut | None:
    """The run waiting for approval or being made, if any."""
    run = await current_run(session, who.organization_id)
    return await _counted(session, who.organization_id, run) if run else None


@router.get("/orgs/{org_id}/invoicing/runs/{run_id}", response_model=RunOut)
async def run_detail(who: OrgStaff, session: SessionDep, run_id: uuid.UUID) -> RunOut:
    return await _counted(session, who.organization_id, await get_run(session, who.organization_id, run_id))


@router.get("/orgs/{org_id}/invoicing/runs/{run_id}/preview", response_model=PreviewOut)
async def run_preview(
    who: OrgStaff,
    session: SessionDep,
    run_id: uuid.UUID,
    page: int = Query(1, ge=1, le=MAX_PAGE),
    page_size: int = Query(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE),
) -> PreviewOut:
    """What the run would invoice, per member (carried-over members last), with the totals."""
    run = await get_run(session, who.organization_id, run_id)
    drafts = sorted(await member_drafts(session, run), key=lambda d: d.carried_over)
    billed = [d for d in drafts if not d.carried_over]
    shown = drafts[(page - 1) * page_size : page * page_size]
    return PreviewOut(
        run=await _counted(session, who.organization_id, run),
        invoices=len(billed),
        carried_over=len(drafts) - len(billed),
        total_minor=sum(d.total_minor for d in billed),
        held_back_sessions=await held_back_sessions(session, who.organization_id, until=run.cutoff_at),
        unpriced_sessions=sum(
            u.sessions for u in await unpriced_sessions(session, who.organization_id, until=run.cutoff_at)
        ),
        items=[
            DraftOut(
                membership_id=d.membership_id,
                member_name=d.member_name,
                net_minor=d.net_minor,
                vat_minor=d.vat_minor,
                total_minor=d.total_minor,
                energy_wh=d.energy_wh,
                carried_over=d.carried_over,
                lines=[
                    LineOut(
                        description=line.description,
                        net_minor=line.net_minor,
                        vat_minor=line.vat_minor,
                        gross_minor=line.gross_minor,
                        vat_rate_bp=line.vat_rate_bp,
                        energy_wh=line.energy_wh,
                        item_ids=list(line.item_ids),
                    )
                    for line in d.lines
                ],
            )
            for d in shown
        ],
        total=len(drafts),
        page=page,
        page_size=page_size,
        pages=max(1, -(-len(drafts) // page_size)),
    )


@router.post("/orgs/{org_id}/invoicing/runs/{run_id}/approve", response_model=RunOut)
async def approve(who: StaffWriter, session: SessionDep, run_id: uuid.UUID) -> RunOut:
    """Approve the run: the invoices are made and sent by the worker (409 when already approved or
    when the organisation's Stripe account cannot take payments yet)."""
    await session.commit()
    run = await approve_run(session, who.actor, who.organization_id, run_id)
    return await _counted(session, who.organization_id, run)


@router.get("/orgs/{org_id}/invoices", response_model=InvoicePageOut)
async def invoices(
    who: OrgStaff,
    session: SessionDep,
    period: str | None = Query(None, max_length=7, description="YYYY-MM: the month billed"),
    state: str | None = Query(None, max_length=20, description="pending, open, paid, void or uncollectible"),
    member: str | None = Query(None, max_length=MAX_SEARCH_CHARS, description="name or mobile number"),
    group: str | None = Query(None, max_length=40),
    page: int = Query(1, ge=1, le=MAX_PAGE),
    page_size: int = Query(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE),
) -> InvoicePageOut:
    flt = parse_invoice_filter(period=period, state=state, member=member, group=group)
    result = await list_invoices(session, who.organization_id, flt, page=page, page_size=page_size)
    return InvoicePageOut(
        items=[InvoiceOut(**_invoice_out(r)) for r in result.items],
        total=result.total,
        page=result.page,
        page_size=result.page_size,
        pages=result.pages,
    )


@router.get("/orgs/{org_id}/invoices/{invoice_id}", response_model=InvoiceDetailOut)
async def invoice(who: OrgStaff, session: SessionDep, invoice_id: uuid.UUID) -> InvoiceDetailOut:
    detail = await invoice_detail(session, who.organization_id, invoice_id)
    return InvoiceDetailOut(
        **_invoice_out(detail.row),
        items=[
            ItemOut(
                id=item.id,
                line_no=line.line_no,
                kind=item.kind.value,
                description=item.description,
                session_id=item.session_id,
                occurred_at=item.occurred_at,
                energy_wh=item.energy_wh,
                vat_rate_bp=item.vat_rate_bp,
                net_minor=item.net_minor,
                vat_minor=item.vat_minor,
                gross_minor=item.gross_minor,
            )
            for line in detail.lines
            for item in line.items
        ],
        credits=[
            CreditOut(
                id=c.id,
                kind=c.kind.value,
                state=c.state.value,
                amount_minor=c.amount_minor,
                reason=c.reason,
                created_at=c.created_at,
            )
            for c in detail.credits
        ],
        reminders=[{"reminder": r.reminder, "sent_at": r.sent_at} for r in detail.reminders],
    )


@router.get("/orgs/{org_id}/invoicing/statements/{membership_id}", response_model=StatementOut)
async def statement(who: OrgStaff, session: SessionDep, membership_id: uuid.UUID) -> StatementOut:
    """A member's account: invoices, payments, credits and the running balance (newest first), the
    items not invoiced yet and the sessions invoiced per month."""
    org = await _org(session, who.organization_id)
    st = await member_statement(session, org.id, membership_id, org.currency)
    return StatementOut(
        membership_id=st.membership_id,
        member_name=st.member_name,
        currency=st.currency,
        balance_minor=st.balance_minor,
        outstanding_minor=st.outstanding_minor,
        unbilled_minor=st.unbilled_minor,
        unbilled_items=st.unbilled_count,
        entries=[
            EntryOut(
                at=e.at,
                kind=e.kind,
                invoice_id=e.invoice_id,
                number=e.number,
                amount_minor=e.amount_minor,
                balance_minor=e.balance_minor,
            )
            for e in st.entries
        ],
        months=[MonthOut(**m.__dict__) for m in st.months],
        invoices=[InvoiceOut(**_invoice_out(r)) for r in st.invoices],
    )


@router.get("/orgs/{org_id}/invoicing/outstanding", response_model=OutstandingOut)
async def owed(who: OrgStaff, session: SessionDep) -> OutstandingOut:
    org = await _org(session, who.organization_id)
    sums = await outstanding(session, org.id, org.currency, _today(org))
    return OutstandingOut(
        currency=sums.currency,
        owed_minor=sums.owed_minor,
        owed_invoices=sums.owed_count,
        overdue_minor=sums.overdue_minor,
        overdue_invoices=sums.overdue_count,
    )


@router.get("/orgs/{org_id}/invoicing/payouts", response_model=PayoutPageOut)
async def payouts(
    who: OrgStaff,
    session: SessionDep,
    page: int = Query(1, ge=1, le=MAX_PAGE),
    page_size: int = Query(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE),
) -> PayoutPageOut:
    result = await list_payouts(session, who.organization_id, page=page, page_size=page_size)
    return PayoutPageOut(
        items=[
            PayoutOut(
                id=p.id,
                amount_minor=p.amount_minor,
                currency=p.currency,
                status=p.status,
                arrival_date=p.arrival_date,
                created_at=p.stripe_created_at,
            )
            for p in result.items
        ],
        total=result.total,
        page=result.page,
        page_size=result.page_size,
        pages=result.pages,
    )


@router.get("/orgs/{org_id}/invoicing/export.{fmt}")
async def export(
    who: OrgStaff,
    session: SessionDep,
    fmt: str,
    month: str = Query(..., max_length=7, description="YYYY-MM: invoices sent and credits made that month"),
    language: str = Query("nb", pattern="^(nb|en)$"),
) -> Response:
    """The accountant's file: CSV (semicolons, decimal comma, UTF-8 with BOM) or XLSX."""
    if fmt not in FORMATS:
        raise NotFound("No such export.", code="export.not_found")
    the_month = parse_month(month, "month")
    if the_month is None:
        raise ValidationFailed("Give the month as YYYY-MM.", field="month", code="invoicing.month_invalid")
    org = await session.scalar(select(Organization).where(Organization.id == who.organization_id))
    assert org is not None
    content = await export_month(session, org.id, the_month, org.time_zone, fmt, language)
    return Response(
        content,
        media_type=MEDIA_TYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="invoices-{org.org_number}-{the_month:%Y-%m}.{fmt}"',
            "Cache-Control": "no-store",
        },
    )
