"""What the finance pages, the API and the export read about invoicing: runs, invoices (filtered,
paged), what is outstanding, a member's account statement and the payouts. Reads only.

Every query names the organisation, also in its joins, so another organisation's invoice, member or
run reads exactly like one that does not exist. Filters and sums are SQL (one count, one page per
list), never Python loops over an organisation's invoices. Money is integer minor units.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, and_, case, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.billing.invoice_models import (
    BillableItem,
    Credit,
    CreditKind,
    CreditState,
    Invoice,
    InvoicedItem,
    InvoiceReminder,
    InvoiceRun,
    InvoiceState,
    ItemKind,
    Payout,
    RunState,
)
from ladeportal.errors import NotFound, ValidationFailed
from ladeportal.i18n import N_
from ladeportal.limits import MAX_PAGE, MAX_SEARCH_CHARS, check_date
from ladeportal.members.models import Membership, User, UserGroup

T = TypeVar("T")
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
# Invoices that are owed: sent and not paid, or written off but still owed.
OWED = (InvoiceState.open, InvoiceState.uncollectible)
# Invoices that count in a member's account (a pending one is not sent yet, a void one never owed).
BOOKED = (InvoiceState.open, InvoiceState.paid, InvoiceState.uncollectible)
MONTH = re.compile(r"^(\d{4})-(\d{2})$")

# What the states are called (English msgids, translated where shown or exported).
INVOICE_STATE_LABELS = {
    InvoiceState.pending: N_("Being made"),
    InvoiceState.open: N_("Unpaid"),
    InvoiceState.paid: N_("Paid"),
    InvoiceState.void: N_("Cancelled"),
    InvoiceState.uncollectible: N_("Written off"),
}
RUN_STATE_LABELS = {
    RunState.awaiting_approval: N_("Awaiting approval"),
    RunState.running: N_("Sending invoices"),
    RunState.done: N_("Finished"),
}
CREDIT_KIND_LABELS = {CreditKind.credit_note: N_("Credit note"), CreditKind.refund: N_("Refund")}
CREDIT_STATE_LABELS = {
    CreditState.pending: N_("In progress"),
    CreditState.done: N_("Done"),
    CreditState.failed: N_("Failed"),
}


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


@dataclass(frozen=True)
class InvoiceFilter:
    period: date | None = None  # the first day of the month billed
    state: InvoiceState | None = None
    member: str | None = None  # name or phone number, part of it
    group_id: uuid.UUID | None = None
    membership_id: uuid.UUID | None = None
    owed: bool = False  # only invoices with something still owed
    overdue_on: date | None = None  # only owed invoices whose due date is before this day


@dataclass(frozen=True)
class InvoiceRow:
    id: uuid.UUID
    number: str | None
    period_month: date
    membership_id: uuid.UUID
    member_name: str | None
    phone: str | None
    group_name: str | None
    state: InvoiceState
    currency: str
    net_minor: int
    vat_minor: int
    total_minor: int
    amount_paid_minor: int
    amount_credited_minor: int
    application_fee_minor: int
    energy_wh: int
    due_date: date | None
    created_at: datetime
    finalized_at: datetime | None
    paid_at: datetime | None
    payment_failed_at: datetime | None
    last_payment_error: str | None
    hosted_url: str | None
    pdf_url: str | None
    stripe_invoice_id: str | None
    run_id: uuid.UUID | None

    @property
    def outstanding_minor(self) -> int:
        if self.state not in OWED:
            return 0
        return max(0, self.total_minor - self.amount_paid_minor - self.amount_credited_minor)

    def overdue_days(self, today: date) -> int:
        """Days past the due date of an invoice still owed; 0 when not (yet) overdue."""
        if self.outstanding_minor <= 0 or self.due_date is None:
            return 0
        return max(0, (today - self.due_date).days)


def parse_month(raw: str | None, field: str = "period") -> date | None:
    """'2026-11' as the first day of that month; empty is None."""
    text = (raw or "").strip()
    if not text:
        return None
    match = MONTH.match(text)
    month = int(match.group(2)) if match else 0
    if match is None or not 1 <= month <= 12:
        raise ValidationFailed(
            N_("Give the month as YYYY-MM, e.g. 2026-11."), field=field, code="invoicing.month_invalid"
        )
    return check_date(date(int(match.group(1)), month, 1), field)


def _uuid(raw: str | None, field: str) -> uuid.UUID | None:
    text = (raw or "").strip()
    if not text:
        return None
    try:
        return uuid.UUID(text)
    except ValueError:
        raise ValidationFailed(N_("Choose a value from the list."), field=field, code="form.choice_invalid") from None


def parse_invoice_filter(
    *, period: str | None = None, state: str | None = None, member: str | None = None, group: str | None = None
) -> InvoiceFilter:
    text = (state or "").strip()
    try:
        chosen = InvoiceState(text) if text else None
    except ValueError:
        raise ValidationFailed(N_("Choose a value from the list."), field="state", code="form.choice_invalid") from None
    search = (member or "").strip()
    if len(search) > MAX_SEARCH_CHARS:
        raise ValidationFailed(
            f"At most {MAX_SEARCH_CHARS} characters.",
            field="member",
            code="text.too_long",
            params={"limit": MAX_SEARCH_CHARS},
        )
    return InvoiceFilter(
        period=parse_month(period), state=chosen, member=search or None, group_id=_uuid(group, "group")
    )


def _check_paging(page: int, page_size: int) -> None:
    if not 1 <= page <= MAX_PAGE:
        raise ValidationFailed("Pages are numbered from 1.", field="page", code="search.page_range")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValidationFailed(
            f"The page size is between 1 and {MAX_PAGE_SIZE}.",
            field="page_size",
            code="search.page_size_range",
            params={"limit": MAX_PAGE_SIZE},
        )


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _member_matches(text: str, dialect: str) -> ColumnElement[bool]:
    options: list[ColumnElement[bool]]
    if dialect == "postgresql":
        options = [Membership.name.ilike(f"%{_escape(text)}%", escape="\\")]
    else:
        # SQLite folds case for ASCII only ("øyvind" would miss "Øyvind"): the usual capitalisations.
        variants = sorted({text, text.lower(), text.upper(), text.capitalize(), text.title()})
        options = [Membership.name.like(f"%{_escape(v)}%", escape="\\") for v in variants]
    digits = re.sub(r"[\s\-()./]", "", text).lstrip("+")
    if digits.isdigit() and len(digits) >= 3:
        digits = digits[2:] if digits.startswith("00") else digits
        options.append(User.phone.contains(digits, autoescape=True))
    return or_(false(), *options)


def _outstanding_expr() -> ColumnElement[int]:
    owed = Invoice.total_minor - Invoice.amount_paid_minor - Invoice.amount_credited_minor
    return case((and_(Invoice.state.in_(OWED), owed > 0), owed), else_=0)


def _invoice_select(org_id: uuid.UUID) -> Select[Any]:
    # Each join names the organisation: another tenant's membership or group never joins.
    statement: Any = (
        select(Invoice, Membership.name, User.phone, UserGroup.name)
        .join(Membership, and_(Membership.id == Invoice.membership_id, Membership.organization_id == org_id))
        .join(User, User.id == Membership.user_id)
        .outerjoin(UserGroup, and_(UserGroup.id == Membership.group_id, UserGroup.organization_id == org_id))
        .where(Invoice.organization_id == org_id)
    )
    return statement


def _conditions(flt: InvoiceFilter, dialect: str) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if flt.period is not None:
        where.append(Invoice.period_month == flt.period)
    if flt.state is not None:
        where.append(Invoice.state == flt.state)
    if flt.group_id is not None:
        where.append(Membership.group_id == flt.group_id)
    if flt.membership_id is not None:
        where.append(Invoice.membership_id == flt.membership_id)
    if flt.member:
        where.append(_member_matches(flt.member, dialect))
    if flt.owed:
        where.append(_outstanding_expr() > 0)
    if flt.overdue_on is not None:
        where += [_outstanding_expr() > 0, Invoice.due_date < flt.overdue_on]
    return where


def _row(invoice: Invoice, name: str | None, phone: str | None, group: str | None) -> InvoiceRow:
    return InvoiceRow(
        id=invoice.id,
        number=invoice.number,
        period_month=invoice.period_month,
        membership_id=invoice.membership_id,
        member_name=name,
        phone=phone,
        group_name=group,
        state=invoice.state,
        currency=invoice.currency,
        net_minor=invoice.net_minor,
        vat_minor=invoice.vat_minor,
        total_minor=invoice.total_minor,
        amount_paid_minor=invoice.amount_paid_minor,
        amount_credited_minor=invoice.amount_credited_minor,
        application_fee_minor=invoice.application_fee_minor,
        energy_wh=invoice.energy_wh,
        due_date=invoice.due_date,
        created_at=invoice.created_at,
        finalized_at=invoice.finalized_at,
        paid_at=invoice.paid_at,
        payment_failed_at=invoice.payment_failed_at,
        last_payment_error=invoice.last_payment_error,
        hosted_url=invoice.hosted_url,
        pdf_url=invoice.pdf_url,
        stripe_invoice_id=invoice.stripe_invoice_id,
        run_id=invoice.run_id,
    )


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


async def list_invoices(
    session: AsyncSession,
    org_id: uuid.UUID,
    flt: InvoiceFilter,
    *,
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
    oldest_due_first: bool = False,
) -> Page[InvoiceRow]:
    _check_paging(page, page_size)
    conditions = _conditions(flt, _dialect(session))
    statement = _invoice_select(org_id).where(*conditions)
    if flt.member or flt.group_id:
        counted = select(func.count()).select_from(statement.subquery())
    else:
        # Nothing to match in the member's row: count the invoices alone (the joins only cost time).
        counted = select(func.count()).select_from(Invoice).where(Invoice.organization_id == org_id, *conditions)
    total = int(await session.scalar(counted) or 0)
    if oldest_due_first:
        order: Sequence[Any] = (Invoice.due_date.asc().nulls_last(), Invoice.id)
    else:
        order = (Invoice.period_month.desc(), Invoice.created_at.desc(), Invoice.id)
    rows = (await session.execute(statement.order_by(*order).offset((page - 1) * page_size).limit(page_size))).all()
    return Page([_row(*row) for row in rows], total, page, page_size)


@dataclass(frozen=True)
class Outstanding:
    currency: str
    owed_minor: int
    owed_count: int
    overdue_minor: int
    overdue_count: int


async def outstanding(session: AsyncSession, org_id: uuid.UUID, currency: str, today: date) -> Outstanding:
    """What members owe (open and uncollectible invoices, less payments and credits), and the part
    past its due date: one aggregate."""
    owed = _outstanding_expr()
    is_overdue = and_(owed > 0, Invoice.due_date < today)
    row = (
        await session.execute(
            select(
                func.coalesce(func.sum(owed), 0),
                func.count().filter(owed > 0),
                func.coalesce(func.sum(case((is_overdue, owed), else_=0)), 0),
                func.count().filter(is_overdue),
            ).where(Invoice.organization_id == org_id, Invoice.currency == currency, Invoice.state.in_(OWED))
        )
    ).one()
    return Outstanding(currency, int(row[0]), int(row[1]), int(row[2]), int(row[3]))


async def list_runs(
    session: AsyncSession, org_id: uuid.UUID, *, page: int = 1, page_size: int = 24
) -> Page[InvoiceRun]:
    _check_paging(page, page_size)
    where = InvoiceRun.organization_id == org_id
    total = int(await session.scalar(select(func.count()).select_from(InvoiceRun).where(where)) or 0)
    rows = (
        await session.scalars(
            select(InvoiceRun)
            .where(where)
            .order_by(InvoiceRun.period_month.desc())
            .offset((page - 1) * page_size)
            .limit(page_size)
        )
    ).all()
    return Page(list(rows), total, page, page_size)


async def current_run(session: AsyncSession, org_id: uuid.UUID) -> InvoiceRun | None:
    """The run that needs attention: awaiting approval or still running (the newest such)."""
    return await session.scalar(
        select(InvoiceRun)
        .where(
            InvoiceRun.organization_id == org_id,
            InvoiceRun.state.in_((RunState.awaiting_approval, RunState.running)),
        )
        .order_by(InvoiceRun.period_month.desc())
        .limit(1)
    )


@dataclass(frozen=True)
class RunCounts:
    """How a run's invoices stand, by state (from the invoices themselves)."""

    by_state: dict[InvoiceState, int]
    total_minor: int

    @property
    def made(self) -> int:
        return sum(n for state, n in self.by_state.items() if state != InvoiceState.pending)


async def run_counts(session: AsyncSession, org_id: uuid.UUID, run_id: uuid.UUID) -> RunCounts:
    rows = (
        await session.execute(
            select(Invoice.state, func.count(), func.coalesce(func.sum(Invoice.total_minor), 0))
            .where(Invoice.organization_id == org_id, Invoice.run_id == run_id)
            .group_by(Invoice.state)
        )
    ).all()
    return RunCounts({InvoiceState(s): int(n) for s, n, _ in rows}, sum(int(t) for _, _, t in rows))


@dataclass(frozen=True)
class DetailLine:
    line_no: int
    items: list[BillableItem]

    @property
    def gross_minor(self) -> int:
        return sum(i.gross_minor for i in self.items)

    @property
    def net_minor(self) -> int:
        return sum(i.net_minor for i in self.items)

    @property
    def vat_minor(self) -> int:
        return sum(i.vat_minor for i in self.items)

    @property
    def energy_wh(self) -> int:
        return sum(i.energy_wh for i in self.items)

    @property
    def description(self) -> str:
        return self.items[0].description


@dataclass(frozen=True)
class InvoiceDetail:
    row: InvoiceRow
    lines: list[DetailLine]
    credits: list[Credit]
    reminders: list[InvoiceReminder]
    run: InvoiceRun | None

    @property
    def session_count(self) -> int:
        return sum(1 for line in self.lines for item in line.items if item.kind == ItemKind.session)


async def invoice_detail(session: AsyncSession, org_id: uuid.UUID, invoice_id: uuid.UUID) -> InvoiceDetail:
    found = (await session.execute(_invoice_select(org_id).where(Invoice.id == invoice_id))).first()
    if found is None:
        raise NotFound("No such invoice.", code="invoicing.invoice_not_found")
    row = _row(*found)
    placed = (
        await session.execute(
            select(InvoicedItem.line_no, BillableItem)
            .join(BillableItem, BillableItem.id == InvoicedItem.item_id)
            .where(InvoicedItem.invoice_id == invoice_id, BillableItem.organization_id == org_id)
            .order_by(InvoicedItem.line_no, BillableItem.occurred_at, BillableItem.id)
        )
    ).all()
    lines: dict[int, list[BillableItem]] = {}
    for line_no, item in placed:
        lines.setdefault(line_no, []).append(item)
    credits = (
        await session.scalars(
            select(Credit)
            .where(Credit.invoice_id == invoice_id, Credit.organization_id == org_id)
            .order_by(Credit.created_at)
        )
    ).all()
    reminders = (
        await session.scalars(
            select(InvoiceReminder).where(InvoiceReminder.invoice_id == invoice_id).order_by(InvoiceReminder.sent_at)
        )
    ).all()
    run = await session.get(InvoiceRun, row.run_id) if row.run_id else None
    return InvoiceDetail(
        row,
        [DetailLine(n, items) for n, items in sorted(lines.items())],
        list(credits),
        list(reminders),
        run if run is not None and run.organization_id == org_id else None,
    )


@dataclass(frozen=True)
class Entry:
    """One line of a member's account: +invoice, -payment, -credit note; a refund returns money
    already paid, so it reduces what was paid and what is owed alike (the balance stays)."""

    at: datetime
    kind: str  # "invoice" | "payment" | "credit_note" | "refund"
    invoice_id: uuid.UUID
    number: str | None
    amount_minor: int
    balance_effect_minor: int
    balance_minor: int = 0


@dataclass(frozen=True)
class MonthUsage:
    period_month: date
    sessions: int
    energy_wh: int
    gross_minor: int


@dataclass(frozen=True)
class Statement:
    membership_id: uuid.UUID
    member_name: str | None
    phone: str | None
    currency: str
    invoices: list[InvoiceRow]
    entries: list[Entry]
    balance_minor: int
    outstanding_minor: int
    unbilled_minor: int
    unbilled_count: int
    months: list[MonthUsage] = field(default_factory=list)


async def member_statement(
    session: AsyncSession, org_id: uuid.UUID, membership_id: uuid.UUID, currency: str
) -> Statement:
    member = (
        await session.execute(
            select(Membership.name, User.phone)
            .join(User, User.id == Membership.user_id)
            .where(Membership.id == membership_id, Membership.organization_id == org_id)
        )
    ).first()
    if member is None:
        raise NotFound("No such member.", code="member.not_found")
    invoices = (await list_invoices(session, org_id, InvoiceFilter(membership_id=membership_id), page_size=120)).items
    credits = (
        await session.execute(
            select(Credit, Invoice.number)
            .join(Invoice, Invoice.id == Credit.invoice_id)
            .where(
                Credit.organization_id == org_id,
                Invoice.organization_id == org_id,
                Invoice.membership_id == membership_id,
                Credit.state == CreditState.done,
            )
        )
    ).all()
    entries: list[Entry] = []
    for inv in invoices:
        if inv.state not in BOOKED or inv.currency != currency:
            continue
        entries.append(
            Entry(inv.finalized_at or inv.created_at, "invoice", inv.id, inv.number, inv.total_minor, inv.total_minor)
        )
        if inv.amount_paid_minor:
            paid = -inv.amount_paid_minor
            entries.append(Entry(inv.paid_at or inv.created_at, "payment", inv.id, inv.number, paid, paid))
    for credit, number in credits:
        effect = 0 if credit.kind == CreditKind.refund else -credit.amount_minor
        entries.append(
            Entry(credit.created_at, credit.kind.value, credit.invoice_id, number, -credit.amount_minor, effect)
        )
    entries.sort(key=lambda e: (e.at, e.kind != "invoice"))
    balance = 0
    ledger: list[Entry] = []
    for entry in entries:
        balance += entry.balance_effect_minor
        ledger.append(Entry(**{**entry.__dict__, "balance_minor": balance}))
    unbilled = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(BillableItem.gross_minor), 0))
            .outerjoin(InvoicedItem, InvoicedItem.item_id == BillableItem.id)
            .where(
                BillableItem.organization_id == org_id,
                BillableItem.membership_id == membership_id,
                BillableItem.currency == currency,
                InvoicedItem.item_id.is_(None),
            )
        )
    ).one()
    return Statement(
        membership_id=membership_id,
        member_name=member[0],
        phone=member[1],
        currency=currency,
        invoices=invoices,
        entries=list(reversed(ledger)),
        balance_minor=balance,
        outstanding_minor=sum(i.outstanding_minor for i in invoices if i.currency == currency),
        unbilled_minor=int(unbilled[1]),
        unbilled_count=int(unbilled[0]),
        months=await _months_billed(session, org_id, membership_id),
    )


async def _months_billed(session: AsyncSession, org_id: uuid.UUID, membership_id: uuid.UUID) -> list[MonthUsage]:
    """Per month: the sessions on the member's invoices (void ones left out), their energy and price."""
    rows = (
        await session.execute(
            select(
                BillableItem.period_month,
                func.count(),
                func.coalesce(func.sum(BillableItem.energy_wh), 0),
                func.coalesce(func.sum(BillableItem.gross_minor), 0),
            )
            .join(InvoicedItem, InvoicedItem.item_id == BillableItem.id)
            .join(Invoice, and_(Invoice.id == InvoicedItem.invoice_id, Invoice.organization_id == org_id))
            .where(
                BillableItem.organization_id == org_id,
                BillableItem.membership_id == membership_id,
                BillableItem.kind == ItemKind.session,
                Invoice.state != InvoiceState.void,
            )
            .group_by(BillableItem.period_month)
            .order_by(BillableItem.period_month.desc())
            .limit(36)
        )
    ).all()
    return [MonthUsage(m, int(n), int(wh), int(gross)) for m, n, wh, gross in rows]


async def list_payouts(session: AsyncSession, org_id: uuid.UUID, *, page: int = 1, page_size: int = 50) -> Page[Payout]:
    _check_paging(page, page_size)
    where = Payout.organization_id == org_id
    total = int(await session.scalar(select(func.count()).select_from(Payout).where(where)) or 0)
    rows = (
        await session.scalars(
            select(Payout)
            .where(where)
            .order_by(Payout.arrival_date.desc(), Payout.id)
            .offset((page - 1) * page_size)
            .limit(page_size)
        )
    ).all()
    return Page(list(rows), total, page, page_size)
