"""An organisation's Stripe Express account: making it, the onboarding and dashboard links, re-reading it.

Every operation takes the caller's organisation id and reaches only that organisation's row. No
database transaction is open while Stripe is asked: each step reads, commits, calls Stripe, then
stores the answer in a new transaction. The account is made with an idempotency key derived from its
stripe_accounts row and its id is committed before any link is made, so a crash between Stripe's
answer and the commit makes no second account: the repeated call gets Stripe's first answer back.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable
from datetime import datetime
from typing import TypeVar

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.billing.account_status import AccountFacts, PaymentsStatus, state_of, status_of
from ladeportal.billing.models import StripeAccount
from ladeportal.billing.stripe_gateway import AccountSnapshot, PaymentsUnavailable, StripeGateway, gateway
from ladeportal.db.base import utcnow
from ladeportal.db.engine import Database, unit_of_work
from ladeportal.errors import DomainError, NotFound, ValidationFailed
from ladeportal.members.models import Membership, MembershipState, Role
from ladeportal.orgs.models import Organization, OrgKind
from ladeportal.platform.audit import Actor, record

log = logging.getLogger(__name__)

T = TypeVar("T")
# Owners are organisations; Stripe's Express onboarding asks for the representative and the board.
# Stripe's business type for each kind of organisation: a housing cooperative (borettslag,
# bostadsrättsförening) runs at cost for its residents, a non-profit in Stripe's terms.
BUSINESS_TYPES = {
    OrgKind.housing_cooperative: "non_profit",
    OrgKind.company: "company",
    OrgKind.other: "company",
}
STAFF_ROLES = (Role.org_admin, Role.finance)


def _not_found() -> NotFound:
    return NotFound("No such organisation.", code="org.not_found")


async def account_row(session: AsyncSession, org_id: uuid.UUID) -> StripeAccount | None:
    return await session.scalar(select(StripeAccount).where(StripeAccount.organization_id == org_id))


async def payments_status(session: AsyncSession, org_id: uuid.UUID) -> PaymentsStatus:
    """The organisation's state as Stripe last described it (no call to Stripe)."""
    return status_of(await account_row(session, org_id))


async def _require_staff(session: AsyncSession, org_id: uuid.UUID, user_id: uuid.UUID) -> Organization:
    """The organisation, if `user_id` is its administrator or finance contact; otherwise 404, as for an
    organisation that does not exist."""
    role = await session.scalar(
        select(Membership.role).where(
            Membership.organization_id == org_id,
            Membership.user_id == user_id,
            Membership.removed_at.is_(None),
            Membership.state != MembershipState.blocked,
        )
    )
    org = await session.get(Organization, org_id)
    if role not in STAFF_ROLES or org is None:
        raise _not_found()
    return org


async def _ensure_row(session: AsyncSession, org: Organization) -> StripeAccount:
    """The organisation's row, made (and committed) if it has none; two board members starting at the
    same moment end up with the same row (the organisation id is unique)."""
    org_id, country, kind = org.id, org.country, org.kind  # a rollback below expires `org`
    row = await account_row(session, org_id)
    if row is not None:
        return row
    session.add(StripeAccount(organization_id=org_id, country=country, business_type=BUSINESS_TYPES[kind]))
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
    row = await account_row(session, org_id)
    if row is None:  # pragma: no cover - the insert or the other one committed
        raise _not_found()
    return row


def snapshot_values(snapshot: AccountSnapshot) -> dict[str, object]:
    values: dict[str, object] = {
        "charges_enabled": snapshot.charges_enabled,
        "payouts_enabled": snapshot.payouts_enabled,
        "details_submitted": snapshot.details_submitted,
        "currently_due": list(snapshot.currently_due),
        "past_due": list(snapshot.past_due),
        "eventually_due": list(snapshot.eventually_due),
        "pending_verification": list(snapshot.pending_verification),
        "current_deadline": snapshot.current_deadline,
        "disabled_reason": snapshot.disabled_reason,
        "last_error_code": None,
    }
    facts = AccountFacts(
        account_id=snapshot.id,
        details_submitted=snapshot.details_submitted,
        charges_enabled=snapshot.charges_enabled,
        payouts_enabled=snapshot.payouts_enabled,
        currently_due=snapshot.currently_due,
        past_due=snapshot.past_due,
        pending_verification=snapshot.pending_verification,
        disabled_reason=snapshot.disabled_reason,
    )
    values["state"] = state_of(facts).value
    return values


async def store_snapshot(
    session: AsyncSession, row_id: uuid.UUID, snapshot: AccountSnapshot, read_at: datetime
) -> bool:
    """Store what Stripe said at `read_at` (when the read began) in the caller's transaction, unless a
    read that began later is stored already: answers may arrive out of order, the newest read wins."""
    result = await session.execute(
        update(StripeAccount)
        .where(
            StripeAccount.id == row_id,
            StripeAccount.account_id == snapshot.id,
            or_(StripeAccount.synced_at.is_(None), StripeAccount.synced_at <= read_at),
        )
        .values(**snapshot_values(snapshot), synced_at=read_at)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


async def _asking(db: Database, row_id: uuid.UUID, call: Awaitable[T]) -> T:
    """Await a Stripe call; a refusal or an outage is noted on the row (for the portal and the
    operator overview) before it is raised, and a success clears the note."""
    try:
        answer = await call
    except DomainError as exc:
        if isinstance(exc, PaymentsUnavailable):
            code = "payments.stripe_unavailable"
        else:
            code = str(exc.params.get("stripe_code") or exc.code or "payments.stripe_rejected")
        async with db.session() as session, unit_of_work(session):
            await session.execute(
                update(StripeAccount).where(StripeAccount.id == row_id).values(last_error_code=code[:80])
            )
        raise
    async with db.session() as session, unit_of_work(session):
        await session.execute(
            update(StripeAccount)
            .where(StripeAccount.id == row_id, StripeAccount.last_error_code.is_not(None))
            .values(last_error_code=None)
        )
    return answer


async def _create_account(
    db: Database, stripe: StripeGateway, row_id: uuid.UUID, org_id: uuid.UUID, actor: Actor
) -> str:
    async with db.session() as session:
        row = await session.get(StripeAccount, row_id)
        if row is None:  # pragma: no cover - rows are never deleted while the organisation exists
            raise _not_found()
        country, business_type = row.country, row.business_type
        org = await session.get(Organization, org_id)
        prefill = _prefill_of(org) if org is not None else {}
        await session.commit()  # ends the read before Stripe is asked
    read_at = utcnow()
    snapshot = await _asking(
        db,
        row_id,
        stripe.create_express_account(
            idempotency_key=f"acct:{row_id}:create",
            country=country,
            business_type=business_type,
            metadata={"organization_id": str(org_id), "stripe_account_row": str(row_id)},
        ),
    )
    async with db.session() as session, unit_of_work(session):
        stored = await session.execute(
            update(StripeAccount)
            .where(StripeAccount.id == row_id, StripeAccount.account_id.is_(None))
            .values(account_id=snapshot.id)
            .execution_options(synchronize_session=False)
        )
        if stored.rowcount == 1:  # type: ignore[attr-defined]
            await store_snapshot(session, row_id, snapshot, read_at)
            record(
                session,
                actor,
                "payments.account_create",
                "stripe_account",
                row_id,
                organization_id=org_id,
                new={"account_id": snapshot.id},
            )
        account_id = await session.scalar(select(StripeAccount.account_id).where(StripeAccount.id == row_id))
    if account_id is None:  # pragma: no cover - set just above
        raise _not_found()
    if account_id == snapshot.id and prefill:
        # What the platform already knows (name, organisation number, e-mail) is filled in for the board
        # member. Sent as an update after the account is stored, not in the create call: a create
        # repeated with other values would be refused under its idempotency key.
        await _asking(db, row_id, stripe.prefill_account(account_id, prefill, idempotency_key=f"acct:{row_id}:prefill"))
    return account_id


def _prefill_of(org: Organization) -> dict[str, object]:
    company: dict[str, object] = {"name": org.legal_name, "tax_id": org.org_number}
    values: dict[str, object] = {"company": company, "business_profile": {"name": org.legal_name}}
    if org.contact_email:
        values["email"] = org.contact_email
    return values


async def _next_link_number(db: Database, row_id: uuid.UUID) -> int:
    async with db.session() as session, unit_of_work(session):
        number = await session.scalar(
            update(StripeAccount)
            .where(StripeAccount.id == row_id)
            .values(links_made=StripeAccount.links_made + 1)
            .returning(StripeAccount.links_made)
        )
    return int(number or 0)


async def _staff_account(db: Database, org_id: uuid.UUID, user_id: uuid.UUID) -> StripeAccount:
    async with db.session() as session:
        row = await _ensure_row(session, await _require_staff(session, org_id, user_id))
        await session.commit()  # ends the read before Stripe is asked
    return row


async def onboarding_link(
    db: Database, org_id: uuid.UUID, *, actor_user_id: uuid.UUID, return_url: str, refresh_url: str
) -> str:
    """A fresh Stripe onboarding link for the organisation's Express account, made first if the
    organisation has none. "Start", "Continue" and the link's refresh_url (an expired or used link)
    all come here; a second board member continues the same account where the first stopped."""
    stripe = gateway()
    row = await _staff_account(db, org_id, actor_user_id)
    account_id = row.account_id
    if account_id is None:
        actor = Actor(label=f"user:{actor_user_id}", user_id=actor_user_id)
        account_id = await _create_account(db, stripe, row.id, org_id, actor)
    number = await _next_link_number(db, row.id)
    return await _asking(
        db,
        row.id,
        stripe.create_account_link(
            account_id,
            refresh_url=refresh_url,
            return_url=return_url,
            idempotency_key=f"acct:{row.id}:link:{number}",
        ),
    )


async def express_dashboard_link(db: Database, org_id: uuid.UUID, *, actor_user_id: uuid.UUID) -> str:
    """A sign-in link to the account's Express dashboard (payouts, bank account), once the details are
    submitted; ValidationFailed(payments.onboarding_not_done) before."""
    stripe = gateway()
    async with db.session() as session:
        await _require_staff(session, org_id, actor_user_id)
        row = await account_row(session, org_id)
        await session.commit()  # ends the read before Stripe is asked
    if row is None or row.account_id is None or not row.details_submitted:
        raise ValidationFailed(
            "Finish the Stripe onboarding first; the dashboard opens once the details are submitted.",
            code="payments.onboarding_not_done",
        )
    number = await _next_link_number(db, row.id)
    return await _asking(
        db, row.id, stripe.create_login_link(row.account_id, idempotency_key=f"acct:{row.id}:login:{number}")
    )


async def refresh_account(db: Database, stripe: StripeGateway, row_id: uuid.UUID, account_id: str) -> bool:
    """Read the account from Stripe and store it; False when a newer read was stored meanwhile."""
    read_at = utcnow()
    snapshot = await _asking(db, row_id, stripe.retrieve_account(account_id))
    async with db.session() as session, unit_of_work(session):
        return await store_snapshot(session, row_id, snapshot, read_at)


async def sync_account(db: Database, org_id: uuid.UUID) -> PaymentsStatus:
    """Re-read the organisation's account from Stripe and store it; the status afterwards."""
    async with db.session() as session:
        row = await account_row(session, org_id)
        await session.commit()  # ends the read before Stripe is asked
    if row is not None and row.account_id is not None:
        await refresh_account(db, gateway(), row.id, row.account_id)
    async with db.session() as session:
        return await payments_status(session, org_id)
