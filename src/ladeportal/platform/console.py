"""The operator console's list: every organisation, searched, filtered and paged in SQL, with one
query per column group for the page's rows (chargers, members, payments, prices, terms,
subscription, last activity), so a page costs the same with 50 organisations or 5,000.

The subscription filter is the exception: its state belongs to the subscription area
(platform.subscription_state), so with that filter the matching ids are filtered in memory and
paged there (one more query, ids only).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.billing.models import InvoicingSwitchDate, StripeAccount
from ladeportal.chargers.models import ChargePoint, CommissioningState
from ladeportal.db.base import utcnow
from ladeportal.members.models import Membership
from ladeportal.orgs.models import Organization
from ladeportal.platform.models import AuditEvent
from ladeportal.platform.subscription_state import SubscriptionState, subscription_states
from ladeportal.pricing.models import GroupPricePlan, PublicPricePlan
from ladeportal.terms.models import TermsAcceptance
from ladeportal.terms.standing import current_version_ids

PAGE_SIZE = 50
INACTIVE_DAYS = 90
CHARGER_FILTERS = ("offline", "all_online", "none")
TERMS_FILTERS = ("accepted", "waiting")
ACTIVITY_FILTERS = ("active", "inactive")
YES_NO = ("yes", "no")
STRIPE_STATES = (
    "not_started",
    "in_progress",
    "waiting_for_stripe",
    "action_needed",
    "ready",
    "restricted",
)


@dataclass(frozen=True)
class ConsoleQuery:
    q: str = ""
    chargers: str = ""  # offline (at least one) | all_online | none
    members: str = ""  # yes | no
    stripe: str = ""  # one of STRIPE_STATES
    prices: str = ""  # yes | no
    terms: str = ""  # accepted | waiting
    subscription: str = ""  # a SubscriptionState
    activity: str = ""  # active | inactive (nothing in the audit trail for INACTIVE_DAYS)
    page: int = 1

    @classmethod
    def parse(cls, params: dict[str, str]) -> ConsoleQuery:
        def pick(name: str, allowed: tuple[str, ...]) -> str:
            value = params.get(name, "")
            return value if value in allowed else ""

        try:
            page = max(1, min(int(params.get("page", "1")), 100_000))
        except ValueError:
            page = 1
        return cls(
            q=params.get("q", "").strip()[:100],
            chargers=pick("chargers", CHARGER_FILTERS),
            members=pick("members", YES_NO),
            stripe=pick("stripe", STRIPE_STATES),
            prices=pick("prices", YES_NO),
            terms=pick("terms", TERMS_FILTERS),
            subscription=pick("subscription", tuple(s.value for s in SubscriptionState)),
            activity=pick("activity", ACTIVITY_FILTERS),
            page=page,
        )


@dataclass
class ConsoleRow:
    org: Organization
    online: int = 0
    offline: int = 0
    members: int = 0
    stripe_state: str = "not_started"
    stripe_deadline: datetime | None = None
    switch_date: date | None = None
    prices_set: bool = False
    terms_accepted: bool = True
    subscription: SubscriptionState = SubscriptionState.none
    last_activity: datetime | None = None


@dataclass
class ConsolePage:
    rows: list[ConsoleRow] = field(default_factory=list)
    total: int = 0
    page: int = 1
    terms_current: int = 0

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


def _in_service() -> list[ColumnElement[bool]]:
    return [
        ChargePoint.organization_id == Organization.id,
        ChargePoint.commissioning_state == CommissioningState.active,
    ]


def _filters(
    query: ConsoleQuery, offline_since: datetime, terms_ids: list[uuid.UUID], now: datetime
) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [Organization.archived_at.is_(None)]
    if query.q:
        needle = query.q.lower()
        digits = "".join(ch for ch in query.q if ch.isdigit())
        match: list[ColumnElement[bool]] = [func.lower(Organization.legal_name).contains(needle, autoescape=True)]
        if digits:
            match.append(Organization.org_number.startswith(digits, autoescape=True))
        where.append(or_(*match))
    offline = exists().where(
        *_in_service(), or_(ChargePoint.last_seen_at.is_(None), ChargePoint.last_seen_at < offline_since)
    )
    any_charger = exists().where(
        ChargePoint.organization_id == Organization.id,
        ChargePoint.commissioning_state != CommissioningState.retired,
    )
    if query.chargers == "offline":
        where.append(offline)
    elif query.chargers == "all_online":
        where.extend([exists().where(*_in_service()), ~offline])
    elif query.chargers == "none":
        where.append(~any_charger)
    if query.members:
        has = exists().where(Membership.organization_id == Organization.id, Membership.removed_at.is_(None))
        where.append(has if query.members == "yes" else ~has)
    if query.stripe:
        state = select(StripeAccount.state).where(StripeAccount.organization_id == Organization.id).scalar_subquery()
        where.append(
            or_(state.is_(None), state == "not_started") if query.stripe == "not_started" else state == query.stripe
        )
    if query.prices:
        priced = or_(
            exists().where(GroupPricePlan.organization_id == Organization.id),
            exists().where(PublicPricePlan.organization_id == Organization.id),
        )
        where.append(priced if query.prices == "yes" else ~priced)
    if query.terms and terms_ids:
        accepted = (
            select(func.count())
            .select_from(TermsAcceptance)
            .where(TermsAcceptance.organization_id == Organization.id, TermsAcceptance.version_id.in_(terms_ids))
            .scalar_subquery()
        )
        where.append(accepted == len(terms_ids) if query.terms == "accepted" else accepted < len(terms_ids))
    elif query.terms == "waiting":
        where.append(Organization.id.is_(None))  # nothing published: nobody is waiting
    if query.activity:
        recent = exists().where(
            AuditEvent.organization_id == Organization.id, AuditEvent.at >= now - timedelta(days=INACTIVE_DAYS)
        )
        where.append(recent if query.activity == "active" else ~recent)
    return where


async def console_page(session: AsyncSession, query: ConsoleQuery, heartbeat_seconds: int) -> ConsolePage:
    now = utcnow()
    # The chargers list's rule (web/portal/readmodels.offline_after): two heartbeats and a minute.
    offline_since = now - timedelta(seconds=2 * heartbeat_seconds + 60)
    terms_ids = await current_version_ids(session)
    where = _filters(query, offline_since, terms_ids, now)
    ordered = select(Organization.id).where(*where).order_by(Organization.legal_name, Organization.id)
    offset = (query.page - 1) * PAGE_SIZE
    if query.subscription:
        ids = list(await session.scalars(ordered))
        states = await subscription_states(session, ids)
        wanted = SubscriptionState(query.subscription)
        ids = [i for i in ids if states.get(i, SubscriptionState.none) == wanted]
        total, page_ids = len(ids), ids[offset : offset + PAGE_SIZE]
    else:
        total = int(await session.scalar(select(func.count()).select_from(Organization).where(*where)) or 0)
        page_ids = list(await session.scalars(ordered.offset(offset).limit(PAGE_SIZE)))
    result = ConsolePage(total=total, page=query.page, terms_current=len(terms_ids))
    if not page_ids:
        return result
    orgs = {o.id: o for o in await session.scalars(select(Organization).where(Organization.id.in_(page_ids)))}
    rows = {i: ConsoleRow(orgs[i]) for i in page_ids}
    await _fill(session, rows, page_ids, offline_since, terms_ids)
    result.rows = [rows[i] for i in page_ids]
    return result


async def _fill(
    session: AsyncSession,
    rows: dict[uuid.UUID, ConsoleRow],
    ids: list[uuid.UUID],
    offline_since: datetime,
    terms_ids: list[uuid.UUID],
) -> None:
    seen = and_(ChargePoint.last_seen_at.is_not(None), ChargePoint.last_seen_at >= offline_since)
    for org_id, online, offline in await session.execute(
        select(
            ChargePoint.organization_id,
            func.sum(case((seen, 1), else_=0)),
            func.sum(case((seen, 0), else_=1)),
        )
        .where(ChargePoint.organization_id.in_(ids), ChargePoint.commissioning_state == CommissioningState.active)
        .group_by(ChargePoint.organization_id)
    ):
        rows[org_id].online, rows[org_id].offline = int(online or 0), int(offline or 0)
    for org_id, count in await session.execute(
        select(Membership.organization_id, func.count())
        .where(Membership.organization_id.in_(ids), Membership.removed_at.is_(None))
        .group_by(Membership.organization_id)
    ):
        rows[org_id].members = int(count)
    for org_id, state, deadline, switch in await session.execute(
        select(Organization.id, StripeAccount.state, StripeAccount.current_deadline, InvoicingSwitchDate.switch_date)
        .outerjoin(StripeAccount, StripeAccount.organization_id == Organization.id)
        .outerjoin(InvoicingSwitchDate, InvoicingSwitchDate.organization_id == Organization.id)
        .where(Organization.id.in_(ids))
    ):
        row = rows[org_id]
        row.stripe_state, row.stripe_deadline, row.switch_date = state or "not_started", deadline, switch
    priced = (
        select(GroupPricePlan.organization_id)
        .where(GroupPricePlan.organization_id.in_(ids))
        .union(select(PublicPricePlan.organization_id).where(PublicPricePlan.organization_id.in_(ids)))
    )
    for (org_id,) in await session.execute(priced):
        rows[org_id].prices_set = True
    if terms_ids:
        accepted = dict(
            (
                await session.execute(
                    select(TermsAcceptance.organization_id, func.count())
                    .where(TermsAcceptance.organization_id.in_(ids), TermsAcceptance.version_id.in_(terms_ids))
                    .group_by(TermsAcceptance.organization_id)
                )
            ).all()
        )
        for org_id, row in rows.items():
            row.terms_accepted = int(accepted.get(org_id, 0)) == len(terms_ids)
    for org_id, state in (await subscription_states(session, ids)).items():
        if org_id in rows:
            rows[org_id].subscription = state
    for org_id, at in await session.execute(
        select(AuditEvent.organization_id, func.max(AuditEvent.at))
        .where(AuditEvent.organization_id.in_(ids))
        .group_by(AuditEvent.organization_id)
    ):
        if org_id is not None:
            rows[org_id].last_activity = at
