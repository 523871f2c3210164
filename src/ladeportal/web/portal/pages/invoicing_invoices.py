"""Invoices of the organisation: the filtered list, one invoice (its lines and the sessions on them,
its state as Stripe reports it, the hosted page and PDF, payments, credits, reminders), a member's
account statement, what is outstanding, and the two money forms: a credit note or refund on an
invoice, and a manual item (a fee, or a credit when negative) for a member's next invoice. Each form
asks for a confirmation before anything is stored (no scripts needed).

Reads come from billing/invoice_listing.py; the forms call billing/credits.py and billing/items.py.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from starlette.responses import Response

from ladeportal.billing.credits import credit_invoice
from ladeportal.billing.invoice_listing import (
    InvoiceFilter,
    Page,
    invoice_detail,
    list_invoices,
    member_statement,
    parse_invoice_filter,
)
from ladeportal.billing.invoice_models import CreditKind, InvoiceState
from ladeportal.billing.items import add_manual_item
from ladeportal.errors import DomainError, NotFound, ValidationFailed
from ladeportal.i18n import gettext
from ladeportal.members.groups import list_groups
from ladeportal.members.lookup import get_membership
from ladeportal.members.models import Membership, User
from ladeportal.members.phone import normalise_mobile
from ladeportal.web.deps import SessionDep, get_db
from ladeportal.web.portal.access import OrgContext, StaffPage
from ladeportal.web.portal.error_texts import error_text
from ladeportal.web.portal.flash import redirect
from ladeportal.web.portal.forms import GENERAL, field_errors, form_values
from ladeportal.web.portal.pages.invoicing_common import PATH, kroner_text, labels, page_number, parse_kroner, today_in
from ladeportal.web.portal.pages.members_common import query_without
from ladeportal.web.portal.templating import render

router = APIRouter()
FILTER_NAMES = ("period", "state", "member", "group")
PAGE_SIZE = 50
MAX_REASON = 500
MAX_DESCRIPTION = 200


def _uuid(raw: str, code: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise NotFound("Not found.", code=code) from None


def _raw_filters(request: Request) -> dict[str, str]:
    return {name: (request.query_params.get(name) or "").strip()[:200] for name in FILTER_NAMES}


@router.get(f"/portal/o/{{org_id}}{PATH}/invoices")
async def invoices(request: Request, here: StaffPage, session: SessionDep, page: str | None = None) -> Response:
    raw = _raw_filters(request)
    errors: dict[str, str] = {}
    try:
        flt = parse_invoice_filter(**raw)
        result = await list_invoices(session, here.org.id, flt, page=page_number(page), page_size=PAGE_SIZE)
    except ValidationFailed as exc:
        errors[exc.field or "form"] = error_text(exc)
        result = Page([], 0, 1, PAGE_SIZE)
    return render(
        request,
        "portal/invoicing/invoices.html",
        {
            **labels(),
            "result": result,
            "filters": raw,
            "errors": errors,
            "filtered": any(raw.values()),
            "groups": await list_groups(session, here.org.id),
            "states": list(InvoiceState),
            "today": today_in(here),
            "paging_query": query_without(request, "page"),
        },
        status_code=422 if errors else 200,
    )


@router.get(f"/portal/o/{{org_id}}{PATH}/outstanding")
async def outstanding_page(request: Request, here: StaffPage, session: SessionDep, page: str | None = None) -> Response:
    """Open and written-off invoices still owed, the longest overdue first."""
    today = today_in(here)
    result = await list_invoices(
        session,
        here.org.id,
        InvoiceFilter(owed=True),
        page=page_number(page),
        page_size=PAGE_SIZE,
        oldest_due_first=True,
    )
    return render(
        request,
        "portal/invoicing/outstanding.html",
        {**labels(), "result": result, "today": today, "paging_query": query_without(request, "page")},
    )


@router.get(f"/portal/o/{{org_id}}{PATH}/invoices/{{invoice_id}}")
async def invoice_page(request: Request, invoice_id: str, here: StaffPage, session: SessionDep) -> Response:
    detail = await invoice_detail(session, here.org.id, _uuid(invoice_id, "invoicing.invoice_not_found"))
    return render(
        request,
        "portal/invoicing/invoice.html",
        {**labels(), "d": detail, "r": detail.row, "today": today_in(here)},
        headers={"Cache-Control": "no-store"},
    )


@router.get(f"/portal/o/{{org_id}}{PATH}/members/{{member_id}}")
async def statement_page(request: Request, member_id: str, here: StaffPage, session: SessionDep) -> Response:
    statement = await member_statement(session, here.org.id, _uuid(member_id, "member.not_found"), here.org.currency)
    return render(
        request,
        "portal/invoicing/statement.html",
        {**labels(), "st": statement, "today": today_in(here)},
        headers={"Cache-Control": "no-store"},
    )


# --- credit note or refund -------------------------------------------------------------------------


def credit_kind_for(state: InvoiceState) -> CreditKind:
    """What an invoice takes (billing/credits.py decides the same): money back when it is paid, else a
    credit note that lowers what is owed."""
    return CreditKind.refund if state == InvoiceState.paid else CreditKind.credit_note


def _credit_input(values: dict[str, str], state: InvoiceState) -> dict[str, Any]:
    amount = parse_kroner(values.get("amount"), "amount")
    assert amount is not None
    if amount <= 0:
        raise ValidationFailed("The amount must be more than 0.", field="amount", code="invoicing.amount_positive")
    reason = " ".join(values.get("reason", "").split())
    if not reason:
        raise ValidationFailed("Say why.", field="reason", code="invoicing.reason_required")
    if len(reason) > MAX_REASON:
        raise ValidationFailed(
            f"At most {MAX_REASON} characters.", field="reason", code="text.too_long", params={"limit": MAX_REASON}
        )
    return {"kind": credit_kind_for(state), "amount_minor": amount, "reason": reason}


async def _credit_form(
    request: Request,
    here: OrgContext,
    session: SessionDep,
    invoice_id: uuid.UUID,
    values: dict[str, str],
    errors: dict[str, str],
    *,
    confirm: dict[str, Any] | None = None,
) -> Response:
    detail = await invoice_detail(session, here.org.id, invoice_id)
    return render(
        request,
        "portal/invoicing/credit.html",
        {
            **labels(),
            "d": detail,
            "r": detail.row,
            "kind": credit_kind_for(detail.row.state),
            "values": values,
            "errors": errors,
            "confirm": confirm,
        },
        status_code=422 if errors else 200,
    )


@router.get(f"/portal/o/{{org_id}}{PATH}/invoices/{{invoice_id}}/credit")
async def credit_form(request: Request, invoice_id: str, here: StaffPage, session: SessionDep) -> Response:
    the_id = _uuid(invoice_id, "invoicing.invoice_not_found")
    detail = await invoice_detail(session, here.org.id, the_id)
    values = {"amount": kroner_text(_creditable(detail.row))}
    return await _credit_form(request, here, session, the_id, values, {})


def _creditable(row: Any) -> int:
    return max(0, int(row.total_minor) - int(row.amount_credited_minor))


@router.post(f"/portal/o/{{org_id}}{PATH}/invoices/{{invoice_id}}/credit")
async def credit_submit(request: Request, invoice_id: str, here: StaffPage, session: SessionDep) -> Response:
    the_id = _uuid(invoice_id, "invoicing.invoice_not_found")
    detail = await invoice_detail(session, here.org.id, the_id)
    values = await form_values(request)
    try:
        data = _credit_input(values, detail.row.state)
    except ValidationFailed as exc:
        return await _credit_form(request, here, session, the_id, values, field_errors(exc))
    if values.get("confirm") != "1":
        return await _credit_form(request, here, session, the_id, values, {}, confirm=data)
    await session.commit()  # ends the read: the operation works in its own transactions
    try:
        await credit_invoice(get_db(request), here.actor, here.org.id, the_id, **data)
    except DomainError as exc:
        await session.rollback()
        return await _credit_form(request, here, session, the_id, values, field_errors(exc))
    message = (
        gettext("The refund is registered.")
        if data["kind"] == CreditKind.refund
        else gettext("The credit note is registered.")
    )
    return redirect(request, f"{here.base}{PATH}/invoices/{the_id}", message)


# --- manual item ----------------------------------------------------------------------------------


async def _member_of(session: SessionDep, here: OrgContext, values: dict[str, str]) -> Membership:
    """The member the item is for: by the id the statement page links with, else by mobile number."""
    if values.get("member_id"):
        try:
            return await get_membership(session, here.org.id, uuid.UUID(values["member_id"]))
        except ValueError:
            raise ValidationFailed("No such member.", field="phone", code="member.not_found") from None
    raw = values.get("phone", "")
    if not raw:
        raise ValidationFailed("The mobile number is required.", field="phone", code="member.phone_required")
    phone = normalise_mobile(raw)
    found = await session.scalar(
        select(Membership)
        .options(selectinload(Membership.user))
        .join(User, User.id == Membership.user_id)
        .where(Membership.organization_id == here.org.id, User.phone == phone, Membership.removed_at.is_(None))
    )
    if found is None:
        raise ValidationFailed(
            f"{phone} is not a member.", field="phone", code="member.not_member", params={"phone": phone}
        )
    return found


def _item_input(values: dict[str, str]) -> dict[str, Any]:
    description = values.get("description", "")
    if not description:
        raise ValidationFailed("Describe the item.", field="description", code="invoicing.description_required")
    if len(description) > MAX_DESCRIPTION:
        raise ValidationFailed(
            f"At most {MAX_DESCRIPTION} characters.",
            field="description",
            code="text.too_long",
            params={"limit": MAX_DESCRIPTION},
        )
    amount = parse_kroner(values.get("amount"), "amount", negative=True)
    if not amount:
        raise ValidationFailed("The amount must not be 0.", field="amount", code="invoicing.amount_zero")
    return {"description": description, "gross_minor": amount}


async def _item_form(
    request: Request,
    here: OrgContext,
    values: dict[str, str],
    errors: dict[str, str],
    *,
    member: Membership | None = None,
    confirm: dict[str, Any] | None = None,
) -> Response:
    return render(
        request,
        "portal/invoicing/item.html",
        {**labels(), "values": values, "errors": errors, "member": member, "confirm": confirm},
        status_code=422 if errors else 200,
    )


@router.get(f"/portal/o/{{org_id}}{PATH}/items/new")
async def item_form(request: Request, here: StaffPage, session: SessionDep) -> Response:
    values = {"member_id": (request.query_params.get("member") or "")[:40]}
    member = None
    if values["member_id"]:
        try:
            member = await _member_of(session, here, values)
        except DomainError:
            values = {}
    return await _item_form(request, here, values, {}, member=member)


@router.post(f"/portal/o/{{org_id}}{PATH}/items/new")
async def item_submit(request: Request, here: StaffPage, session: SessionDep) -> Response:
    values = await form_values(request)
    member = None
    try:
        member = await _member_of(session, here, values)
        data = _item_input(values)
    except DomainError as exc:
        return await _item_form(request, here, values, field_errors(exc), member=member)
    if values.get("confirm") != "1":
        return await _item_form(request, here, {**values, "member_id": str(member.id)}, {}, member=member, confirm=data)
    member_id = member.id
    try:
        await add_manual_item(session, here.actor, here.org.id, member_id, **data)
    except DomainError as exc:
        await session.rollback()
        member = await get_membership(session, here.org.id, member_id)
        errors = field_errors(exc)
        if GENERAL not in errors and not errors.keys() & {"description", "amount", "phone"}:
            errors = {GENERAL: next(iter(errors.values()))}
        return await _item_form(request, here, values, errors, member=member)
    return redirect(
        request, f"{here.base}{PATH}/members/{member_id}", gettext("Added: it goes on the member's next invoice.")
    )
