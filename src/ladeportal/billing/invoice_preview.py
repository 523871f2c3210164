"""What a run would invoice, per member: the invoice lines as the organisation's settings lay them out,
with totals. Used for the preview before approval, for the run's figures at approval and for the
invoice itself when a member's items are claimed (invoice_runs.claim_member_invoice).

Lines are sums of stored item amounts, never recomputed, so the lines add up to the totals to the øre:
- per_session: one line per item;
- per_site_month: one line per site, month and VAT rate for the sessions (quantity: kWh), and one line
  per fee or manual item.
"""

from __future__ import annotations

import calendar
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.billing.invoice_models import BillableItem, BillingSettings, InvoiceRun, ItemKind, LineMode
from ladeportal.billing.invoice_settings import billing_settings
from ladeportal.billing.items import unbilled
from ladeportal.members.models import Membership, User
from ladeportal.orgs.models import Site

MONTHS_NB = (
    "januar",
    "februar",
    "mars",
    "april",
    "mai",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "desember",
)
_KWH = Decimal(1000)


@dataclass(frozen=True)
class RunScope:
    """What of a run decides which items it bills, read once (a rollback may expire the ORM row)."""

    id: uuid.UUID
    organization_id: uuid.UUID
    period_month: date
    cutoff_at: datetime
    currency: str


async def run_scope(session: AsyncSession, run: InvoiceRun | RunScope) -> RunScope:
    if isinstance(run, RunScope):
        return run
    state = inspect(run)
    if state.expired_attributes and state.session is not None:
        await session.refresh(run)
    elif state.expired_attributes:
        fresh = await session.get(InvoiceRun, state.identity[0] if state.identity else None)
        if fresh is None:
            raise ValueError("the run no longer exists")
        run = fresh
    return RunScope(run.id, run.organization_id, run.period_month, run.cutoff_at, run.currency)


@dataclass(frozen=True)
class DraftLine:
    description: str
    quantity: Decimal
    unit: str  # "kWh" (charging), "month" (a plan's monthly fee), "item" (a manual item)
    unit_amount_minor: int | None  # None: the amount is the sum of its sessions, not quantity × price
    net_minor: int
    vat_minor: int
    gross_minor: int
    vat_rate_bp: int
    energy_wh: int
    period_start: date | None
    period_end: date | None
    item_ids: tuple[int, ...]


@dataclass(frozen=True)
class MemberDraft:
    membership_id: uuid.UUID
    member_name: str | None
    phone: str | None
    email: str | None
    lines: tuple[DraftLine, ...]
    net_minor: int
    vat_minor: int
    total_minor: int
    energy_wh: int
    item_ids: tuple[int, ...]
    carried_over: bool  # under the minimum amount: waits for the next run


_ITEM_COLUMNS = (
    BillableItem.id,
    BillableItem.membership_id,
    BillableItem.kind,
    BillableItem.site_id,
    BillableItem.period_month,
    BillableItem.description,
    BillableItem.energy_wh,
    BillableItem.vat_rate_bp,
    BillableItem.net_minor,
    BillableItem.vat_minor,
    BillableItem.gross_minor,
)


def _month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def _kwh(energy_wh: int) -> Decimal:
    return (Decimal(energy_wh) / _KWH).quantize(Decimal("0.001"))


def _one_line(item: Any) -> DraftLine:
    if item.kind == ItemKind.session:
        quantity, unit = _kwh(item.energy_wh), "kWh"
    else:
        quantity, unit = Decimal(1), "month" if item.kind == ItemKind.plan_fee else "item"
    return DraftLine(
        description=item.description,
        quantity=quantity,
        unit=unit,
        unit_amount_minor=None if unit == "kWh" else item.gross_minor,
        net_minor=item.net_minor,
        vat_minor=item.vat_minor,
        gross_minor=item.gross_minor,
        vat_rate_bp=item.vat_rate_bp,
        energy_wh=item.energy_wh,
        period_start=item.period_month,
        period_end=_month_end(item.period_month),
        item_ids=(item.id,),
    )


def _site_month_line(items: list[Any], site_name: str) -> DraftLine:
    month = items[0].period_month
    energy = sum(i.energy_wh for i in items)
    return DraftLine(
        description=f"Lading {site_name} {MONTHS_NB[month.month - 1]} {month.year}".strip()[:200],
        quantity=_kwh(energy),
        unit="kWh",
        unit_amount_minor=None,
        net_minor=sum(i.net_minor for i in items),
        vat_minor=sum(i.vat_minor for i in items),
        gross_minor=sum(i.gross_minor for i in items),
        vat_rate_bp=items[0].vat_rate_bp,
        energy_wh=energy,
        period_start=month,
        period_end=_month_end(month),
        item_ids=tuple(sorted(i.id for i in items)),
    )


def draft_lines(items: Sequence[Any], mode: LineMode, site_names: dict[uuid.UUID, str]) -> tuple[DraftLine, ...]:
    """One member's items as invoice lines: charging first (by month, site), then fees, then manual items."""
    order = {ItemKind.session: 0, ItemKind.plan_fee: 1, ItemKind.manual: 2}
    ordered = sorted(
        items, key=lambda i: (order[ItemKind(i.kind)], i.period_month, site_names.get(i.site_id, ""), i.id)
    )
    if mode == LineMode.per_session:
        return tuple(_one_line(i) for i in ordered)
    lines: list[DraftLine] = []
    groups: dict[tuple[Any, ...], list[Any]] = {}
    for item in ordered:
        if item.kind == ItemKind.session:
            groups.setdefault(
                (item.period_month, site_names.get(item.site_id, ""), item.site_id, item.vat_rate_bp), []
            ).append(item)
    for key in sorted(groups, key=lambda k: (k[0], k[1], str(k[2]), k[3])):
        lines.append(_site_month_line(groups[key], key[1]))
    lines.extend(_one_line(i) for i in ordered if i.kind != ItemKind.session)
    return tuple(lines)


def make_draft(
    membership_id: uuid.UUID,
    who: tuple[str | None, str | None, str | None],
    items: Sequence[Any],
    mode: LineMode,
    site_names: dict[uuid.UUID, str],
    minimum_minor: int,
) -> MemberDraft:
    lines = draft_lines(items, mode, site_names)
    total = sum(line.gross_minor for line in lines)
    return MemberDraft(
        membership_id=membership_id,
        member_name=who[0],
        phone=who[1],
        email=who[2],
        lines=lines,
        net_minor=sum(line.net_minor for line in lines),
        vat_minor=sum(line.vat_minor for line in lines),
        total_minor=total,
        energy_wh=sum(line.energy_wh for line in lines),
        item_ids=tuple(sorted(i for line in lines for i in line.item_ids)),
        carried_over=total < minimum_minor,
    )


async def _people(
    session: AsyncSession, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, tuple[str | None, str | None, str | None]]:
    wanted = list(ids)
    people: dict[uuid.UUID, tuple[str | None, str | None, str | None]] = {}
    for start in range(0, len(wanted), 5000):
        rows = await session.execute(
            select(Membership.id, Membership.name, User.phone, Membership.email)
            .join(User, User.id == Membership.user_id)
            .where(Membership.id.in_(wanted[start : start + 5000]))
        )
        people.update({r[0]: (r[1], r[2], r[3]) for r in rows})
    return people


async def _site_names(session: AsyncSession, org_id: uuid.UUID) -> dict[uuid.UUID, str]:
    return dict((await session.execute(select(Site.id, Site.name).where(Site.organization_id == org_id))).all())


async def member_drafts(session: AsyncSession, run: InvoiceRun | RunScope) -> list[MemberDraft]:
    """Every member with items the run bills and that are on no invoice yet, by name."""
    run = await run_scope(session, run)
    settings = await billing_settings(session, run.organization_id)
    condition = unbilled(run.organization_id, cutoff_at=run.cutoff_at, period_month=run.period_month)
    by_member: dict[uuid.UUID, list[Any]] = {}
    for item in (await session.execute(select(*_ITEM_COLUMNS).where(condition))).all():
        by_member.setdefault(item.membership_id, []).append(item)
    people = await _people(session, by_member)
    sites = await _site_names(session, run.organization_id)
    drafts = [
        make_draft(
            m, people.get(m, (None, None, None)), items, settings.line_mode, sites, settings.minimum_amount_minor
        )
        for m, items in by_member.items()
    ]
    return sorted(drafts, key=lambda d: ((d.member_name or "").lower(), str(d.membership_id)))


async def member_draft(
    session: AsyncSession,
    run: InvoiceRun | RunScope,
    membership_id: uuid.UUID,
    *,
    settings: BillingSettings | None = None,
) -> MemberDraft | None:
    """One member's draft in this run; None when nothing of theirs is left to bill. One query: the
    worker asks this once per member of a run of thousands."""
    run = await run_scope(session, run)
    condition = unbilled(run.organization_id, cutoff_at=run.cutoff_at, period_month=run.period_month)
    rows = (
        await session.execute(
            select(*_ITEM_COLUMNS, Membership.name, User.phone, Membership.email, Site.name.label("site_name"))
            .join(Membership, Membership.id == BillableItem.membership_id)
            .join(User, User.id == Membership.user_id)
            .outerjoin(Site, Site.id == BillableItem.site_id)
            .where(condition, BillableItem.membership_id == membership_id)
        )
    ).all()
    if not rows:
        return None
    settings = settings or await billing_settings(session, run.organization_id)
    sites = {r.site_id: r.site_name for r in rows if r.site_id is not None}
    who = (rows[0].name, rows[0].phone, rows[0].email)
    return make_draft(membership_id, who, rows, settings.line_mode, sites, settings.minimum_amount_minor)


async def member_drafts_of(
    session: AsyncSession,
    run: InvoiceRun | RunScope,
    membership_ids: Sequence[uuid.UUID],
    *,
    settings: BillingSettings | None = None,
) -> dict[uuid.UUID, MemberDraft]:
    """The drafts of these members (those with anything left to bill), in one query."""
    if not membership_ids:
        return {}
    run = await run_scope(session, run)
    condition = unbilled(run.organization_id, cutoff_at=run.cutoff_at, period_month=run.period_month)
    rows = (
        await session.execute(
            select(*_ITEM_COLUMNS, Membership.name, User.phone, Membership.email, Site.name.label("site_name"))
            .join(Membership, Membership.id == BillableItem.membership_id)
            .join(User, User.id == Membership.user_id)
            .outerjoin(Site, Site.id == BillableItem.site_id)
            .where(condition, BillableItem.membership_id.in_(list(membership_ids)))
        )
    ).all()
    settings = settings or await billing_settings(session, run.organization_id)
    sites = {r.site_id: r.site_name for r in rows if r.site_id is not None}
    by_member: dict[uuid.UUID, list[Any]] = {}
    for row in rows:
        by_member.setdefault(row.membership_id, []).append(row)
    return {
        member: make_draft(
            member,
            (items[0].name, items[0].phone, items[0].email),
            items,
            settings.line_mode,
            sites,
            settings.minimum_amount_minor,
        )
        for member, items in by_member.items()
    }
