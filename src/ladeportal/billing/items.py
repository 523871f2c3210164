"""What members are billed for: billable items, written once each and never changed.

`collect_items` turns finished sessions and price plans' monthly fees into items; an admin adds
manual items (a key card fee) or credits with `add_manual_item`. Every item has a unique
`source_key`, so collecting again (a re-run, two workers at once, a crash halfway) writes nothing
twice: the insert skips keys that exist.

A session is billed when it is finished, belongs to a member (a removed member's too: the membership
row stays) and has a stored price. It waits, and the preview counts it, while its price needs a
person's review that nobody has given (sessions/review.py) or while part of its energy was priced at
the fallback price because spot prices were missing: those get a new price when the prices arrive
(pricing/spot_imports.py) and are billed on the next run after that. A session no price plan applied
to (none for the member's group at that site) is not billable and does not wait: the preview lists it
apart (billing/unpriced.py). The amounts are the stored
breakdown's net, VAT and total, never recomputed; the item's month is the month (in the
organisation's time zone) the session ended in.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Select, Table, and_, exists, func, or_, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.billing.invoice_models import BillableItem, InvoicedItem, InvoiceRun, ItemKind
from ladeportal.billing.invoice_settings import require_billing_staff
from ladeportal.billing.plan_fees import fee_items, month_start
from ladeportal.db.base import utcnow
from ladeportal.db.engine import unit_of_work
from ladeportal.errors import NotFound, ValidationFailed
from ladeportal.members.models import Membership
from ladeportal.orgs.models import Organization, Site
from ladeportal.platform.audit import Actor, record
from ladeportal.pricing.models import SessionPricing
from ladeportal.pricing.money import BASIS_POINTS
from ladeportal.sessions.models import ChargingSession, SessionReview, SessionState
from ladeportal.sessions.review import is_reviewed

BATCH = 2000
MAX_DESCRIPTION = 200
MAX_MANUAL_MINOR = 1_000_000_00
CS = ChargingSession


ITEMS = cast(Table, BillableItem.__table__)


async def insert_items(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> int:
    """Insert items, skipping any whose source (or session) already has one; returns how many were new.
    Core, not the ORM: a first run writes hundreds of thousands of rows."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    written = 0
    for start in range(0, len(rows), BATCH):
        stmt = insert(ITEMS).on_conflict_do_nothing().returning(ITEMS.c.id)
        written += len((await session.execute(stmt, list(rows[start : start + BATCH]))).all())
    return written


def _billable_sessions(org_id: uuid.UUID, until: datetime, *, new_only: bool = True) -> Select[Any]:
    """Finished, member's, priced by a plan and (`new_only`) not yet an item."""
    query = (
        select(
            CS.id,
            CS.membership_id,
            CS.site_id,
            CS.stopped_at,
            CS.energy_wh,
            CS.currency,
            CS.cost_total_minor,
            CS.cost_snapshot["net"].as_integer().label("net"),
            CS.cost_snapshot["vat"].as_integer().label("vat"),
            CS.cost_snapshot["vat_rate_bp"].as_integer().label("vat_rate_bp"),
            SessionPricing.needs_review,
            SessionPricing.awaits_spot_prices,
            CS.anomalies,
            SessionReview.anomalies.label("reviewed"),
        )
        .outerjoin(SessionPricing, SessionPricing.session_id == CS.id)
        .outerjoin(SessionReview, SessionReview.session_id == CS.id)
        .where(
            CS.organization_id == org_id,
            CS.state == SessionState.stopped,
            CS.stopped_at.is_not(None),
            CS.stopped_at <= until,
            CS.membership_id.is_not(None),
            CS.cost_total_minor.is_not(None),
            # No plan applied (billing/unpriced.py lists them): nothing to bill, nothing to wait for.
            or_(SessionPricing.session_id.is_(None), SessionPricing.plan_id.is_not(None)),
        )
    )
    return query.where(~exists().where(BillableItem.session_id == CS.id)) if new_only else query


def _held(row: Any) -> bool:
    if row.awaits_spot_prices:
        return True
    return bool(row.needs_review) and not is_reviewed(list(row.anomalies or []), row.reviewed)


def _session_item(
    row: Any, *, org: Organization, site_names: dict[uuid.UUID, str], zone: ZoneInfo, now: datetime
) -> dict[str, Any]:
    local = row.stopped_at.astimezone(zone)
    gross = int(row.cost_total_minor)
    vat = int(row.vat or 0)
    net = gross - vat  # the breakdown's net: it stores net + VAT == total
    site = site_names.get(row.site_id, "")[:150]
    return {
        "organization_id": org.id,
        "membership_id": row.membership_id,
        "kind": ItemKind.session.value,
        "source_key": f"session:{row.id}",
        "session_id": row.id,
        "site_id": row.site_id,
        "plan_id": None,
        "period_month": month_start(local.date()),
        "occurred_at": row.stopped_at,
        "description": f"Lading {site} {local:%d.%m.%Y}"[:MAX_DESCRIPTION],
        "energy_wh": int(row.energy_wh or 0),
        "currency": row.currency or org.currency,
        "vat_rate_bp": int(row.vat_rate_bp) if row.vat_rate_bp is not None else org.vat_rate_bp,
        "net_minor": net,
        "vat_minor": vat,
        "gross_minor": gross,
        "created_at": now,
        "created_by": "invoicing",
    }


_UNFLAGGED_SESSIONS = text(
    """
    INSERT INTO billable_items (organization_id, membership_id, kind, source_key, session_id, site_id, plan_id,
        period_month, occurred_at, description, energy_wh, currency, vat_rate_bp, net_minor, vat_minor,
        gross_minor, created_at, created_by)
    SELECT cs.organization_id, cs.membership_id, 'session', 'session:' || cs.id, cs.id, cs.site_id, NULL,
        date_trunc('month', cs.stopped_at AT TIME ZONE :tz)::date, cs.stopped_at,
        left('Lading ' || left(coalesce(s.name, ''), 150) || ' '
             || to_char(cs.stopped_at AT TIME ZONE :tz, 'DD.MM.YYYY'), 200),
        coalesce(cs.energy_wh, 0), coalesce(cs.currency, :currency),
        coalesce((cs.cost_snapshot ->> 'vat_rate_bp')::integer, :vat_rate_bp),
        cs.cost_total_minor - coalesce((cs.cost_snapshot ->> 'vat')::bigint, 0),
        coalesce((cs.cost_snapshot ->> 'vat')::bigint, 0), cs.cost_total_minor, :now, 'invoicing'
    FROM charging_sessions cs
    LEFT JOIN sites s ON s.id = cs.site_id
    LEFT JOIN session_pricings sp ON sp.session_id = cs.id
    WHERE cs.organization_id = :org_id AND cs.state = 'stopped' AND cs.stopped_at <= :until
      AND cs.membership_id IS NOT NULL AND cs.cost_total_minor IS NOT NULL
      AND coalesce(sp.needs_review, false) = false AND coalesce(sp.awaits_spot_prices, false) = false
      AND (sp.session_id IS NULL OR sp.plan_id IS NOT NULL)
      AND NOT EXISTS (SELECT 1 FROM billable_items bi WHERE bi.session_id = cs.id)
    ON CONFLICT DO NOTHING
    """
)


async def _insert_unflagged_sessions(
    session: AsyncSession, org: Organization, *, until: datetime, now: datetime
) -> int:
    """PostgreSQL: the items of sessions nothing holds back, computed by the server exactly as
    `_session_item` computes them (month and date in the organisation's time zone), in one statement:
    300,000 sessions take seconds instead of a round trip of every row through Python."""
    result = await session.execute(
        _UNFLAGGED_SESSIONS,
        {
            "tz": org.time_zone,
            "currency": org.currency,
            "vat_rate_bp": org.vat_rate_bp,
            "org_id": org.id,
            "until": until,
            "now": now,
        },
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def _fee_months_from(session: AsyncSession, org_id: uuid.UUID, until: datetime, zone: ZoneInfo) -> date:
    first_run = await session.scalar(
        select(func.min(InvoiceRun.period_month)).where(InvoiceRun.organization_id == org_id)
    )
    if first_run is not None:
        return first_run
    this_month = month_start(until.astimezone(zone).date())
    return date(this_month.year - (this_month.month == 1), (this_month.month - 2) % 12 + 1, 1)


async def collect_items(
    session: AsyncSession, org_id: uuid.UUID, *, until: datetime, fee_months_from: date | None = None
) -> int:
    """Write the items of every billable session finished by `until` and of every monthly fee of a
    month ended by then (from `fee_months_from`, default the organisation's first run's month); returns
    how many items are new. Commits after each step: what is written stays written."""
    org = await session.get(Organization, org_id)
    if org is None:
        raise NotFound("No such organisation.", code="org.not_found")
    zone = ZoneInfo(org.time_zone)
    site_names = dict((await session.execute(select(Site.id, Site.name).where(Site.organization_id == org_id))).all())
    written = 0
    candidates = _billable_sessions(org_id, until)
    if session.get_bind().dialect.name == "postgresql":
        # Sessions that nothing holds back are written by the server in one statement; the rest (flagged
        # ones, perhaps reviewed since) go the way below, which checks the review in Python.
        written += await _insert_unflagged_sessions(session, org, until=until, now=utcnow())
        await session.commit()
        flagged = or_(SessionPricing.needs_review.is_(True), SessionPricing.awaits_spot_prices.is_(True))
        candidates = candidates.where(flagged)
    # The ids first, in one pass over the organisation's sessions (the anti-join keeps it proportional to
    # what is new); then their details by primary key, a batch at a time. Paging the whole query with
    # "id > last LIMIT n" would scan again for every page.
    ids = list(await session.scalars(candidates.with_only_columns(CS.id).order_by(CS.id)))
    await session.commit()
    for start in range(0, len(ids), BATCH):
        now = utcnow()
        chunk = ids[start : start + BATCH]
        # No anti-join here: the ids were new a moment ago, and the insert skips any written meanwhile.
        # (Planned from statistics taken before this collect began, an anti-join against the table being
        # filled would compare each session with every item written so far.)
        details = _billable_sessions(org_id, until, new_only=False).where(CS.id.in_(chunk))
        rows = (await session.execute(details)).all()
        items = [_session_item(r, org=org, site_names=site_names, zone=zone, now=now) for r in rows if not _held(r)]
        written += await insert_items(session, items)
        await session.commit()
    months_from = fee_months_from or await _fee_months_from(session, org_id, until, zone)
    now = utcnow()
    fees = [
        {
            "organization_id": org_id,
            "kind": ItemKind.plan_fee.value,
            "session_id": None,
            "site_id": None,
            "energy_wh": 0,
            "created_at": now,
            "created_by": "invoicing",
            **{k: getattr(fee, k) for k in fee.__dataclass_fields__},
        }
        for fee in await fee_items(session, org_id, org.time_zone, until=until, months_from=months_from)
    ]
    written += await insert_items(session, fees)
    await session.commit()
    return written


async def held_back_sessions(session: AsyncSession, org_id: uuid.UUID, *, until: datetime) -> int:
    """Finished priced sessions of members that wait (for a review, or for spot prices) and are not billed."""
    waiting = or_(SessionPricing.awaits_spot_prices.is_(True), SessionPricing.needs_review.is_(True))
    rows = (
        await session.execute(
            _billable_sessions(org_id, until)
            .where(waiting)
            .with_only_columns(
                SessionPricing.needs_review,
                SessionPricing.awaits_spot_prices,
                CS.anomalies,
                SessionReview.anomalies.label("reviewed"),
            )
        )
    ).all()
    return sum(1 for r in rows if _held(r))


async def add_manual_item(
    session: AsyncSession,
    actor: Actor,
    org_id: uuid.UUID,
    membership_id: uuid.UUID,
    *,
    description: str,
    gross_minor: int,
    vat_rate_bp: int | None = None,
    now: datetime | None = None,
) -> BillableItem:
    """An item an admin adds for a member: a fee (positive) or a credit (negative), incl. VAT; billed
    on the next run. The VAT is split off the gross amount at `vat_rate_bp` (default: the organisation's)."""
    async with unit_of_work(session):
        org = await require_billing_staff(session, actor, org_id)
        member = await session.scalar(
            select(Membership.id).where(Membership.id == membership_id, Membership.organization_id == org_id)
        )
        if member is None:
            raise NotFound("No such member.", code="member.not_found")
        text = (description or "").strip()
        if not text or len(text) > MAX_DESCRIPTION:
            raise ValidationFailed(
                f"Describe the item in 1 to {MAX_DESCRIPTION} characters.",
                field="description",
                code="invoicing.item_description",
                params={"limit": MAX_DESCRIPTION},
            )
        if (
            isinstance(gross_minor, bool)
            or not isinstance(gross_minor, int)
            or gross_minor == 0
            or abs(gross_minor) > MAX_MANUAL_MINOR
        ):
            raise ValidationFailed(
                "The amount must be a non-zero amount of at most 1 000 000.",
                field="gross_minor",
                code="invoicing.item_amount",
                params={"limit": MAX_MANUAL_MINOR // 100},
            )
        rate = org.vat_rate_bp if vat_rate_bp is None else vat_rate_bp
        if isinstance(rate, bool) or not isinstance(rate, int) or not 0 <= rate <= BASIS_POINTS:
            raise ValidationFailed(
                "The VAT rate is basis points from 0 to 10000 (2500 = 25 %).",
                field="vat_rate_bp",
                code="invoicing.item_vat_rate",
            )
        at = now or utcnow()
        vat = _vat_of_gross(gross_minor, rate)
        item = BillableItem(
            organization_id=org_id,
            membership_id=membership_id,
            kind=ItemKind.manual,
            source_key=f"manual:{uuid.uuid4()}",
            period_month=month_start(at.astimezone(ZoneInfo(org.time_zone)).date()),
            occurred_at=at,
            description=text,
            energy_wh=0,
            currency=org.currency,
            vat_rate_bp=rate,
            net_minor=gross_minor - vat,
            vat_minor=vat,
            gross_minor=gross_minor,
            created_at=at,
            created_by=actor.label[:120],
        )
        session.add(item)
        await session.flush()
        record(
            session,
            actor,
            "invoicing.item_add",
            "billable_item",
            str(item.id),
            organization_id=org_id,
            new={
                "membership_id": str(membership_id),
                "description": text,
                "gross_minor": gross_minor,
                "vat_rate_bp": rate,
            },
        )
    return item


def _vat_of_gross(gross_minor: int, rate_bp: int) -> int:
    """The VAT contained in a gross amount, rounded half away from zero (as pricing.money does)."""
    numerator, denominator = gross_minor * rate_bp, BASIS_POINTS + rate_bp
    quotient = (2 * abs(numerator) + denominator) // (2 * denominator)
    return quotient if numerator >= 0 else -quotient


async def invoiced_session(session: AsyncSession, session_id: int) -> bool:
    """Whether the session's item is on an invoice (its price may then no longer be replaced)."""
    found = await session.scalar(
        select(InvoicedItem.item_id)
        .join(BillableItem, BillableItem.id == InvoicedItem.item_id)
        .where(BillableItem.session_id == session_id)
        .limit(1)
    )
    return found is not None


def unbilled(org_id: uuid.UUID, *, cutoff_at: datetime, period_month: date) -> Any:
    """The condition for an organisation's items not on any invoice yet, written by `cutoff_at`, of
    months up to `period_month` (what a run of that month bills)."""
    # A correlated count, not NOT EXISTS: PostgreSQL turns NOT EXISTS into an anti-join planned from the
    # table's statistics, and during a run invoiced_items grows by hundreds of thousands of rows faster
    # than autovacuum re-analyses it; a plan made for "empty" then compares every item with every
    # invoiced item (seconds per member). The subquery is always one primary-key probe per item.
    on_invoice = select(func.count()).where(InvoicedItem.item_id == BillableItem.id).scalar_subquery()
    return and_(
        BillableItem.organization_id == org_id,
        BillableItem.created_at <= cutoff_at,
        BillableItem.period_month <= period_month,
        on_invoice == 0,
    )
