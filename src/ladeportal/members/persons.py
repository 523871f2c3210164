"""The person behind the memberships, above all organisations: finding them for platform staff and
anonymising them.

Anonymisation is the one irreversible change to a person, so it has one path: platform staff ask for
it explicitly and it is refused while anything still needs the person identifiable (a membership, a
staff account, open billing). Removing a member from an organisation never anonymises.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.auth.models import PortalSession
from ladeportal.billing.invoice_models import Invoice, InvoiceState
from ladeportal.db.base import utcnow
from ladeportal.db.engine import unit_of_work
from ladeportal.errors import Conflict, NotFound, PermissionDenied
from ladeportal.members.lookup import get_user_by_phone
from ladeportal.members.models import Membership, User
from ladeportal.members.phone import normalise_mobile
from ladeportal.platform.audit import Actor, record
from ladeportal.platform.models import OperatorAccount


async def find_person(session: AsyncSession, ref: str) -> User:
    """A person by user id or mobile number (any notation)."""
    try:
        user = await session.get(User, uuid.UUID(ref))
    except ValueError:
        user = await get_user_by_phone(session, normalise_mobile(ref))
    if user is None:
        raise NotFound("No such person.", code="person.not_found")
    return user


async def open_billing(session: AsyncSession, user_id: uuid.UUID) -> list[str]:
    """Reasons from billing to keep the person identifiable: invoices of any of their memberships that
    are not settled (being made, open or uncollectible), which the owner may still collect."""
    unpaid = await session.scalar(
        select(func.count(Invoice.id))
        .join(Membership, Membership.id == Invoice.membership_id)
        .where(
            Membership.user_id == user_id,
            Invoice.state.in_((InvoiceState.pending, InvoiceState.open, InvoiceState.uncollectible)),
        )
    )
    return [f"{unpaid} unpaid invoice(s)"] if unpaid else []


async def reasons_to_keep(session: AsyncSession, user_id: uuid.UUID) -> list[str]:
    """Why the person cannot be anonymised now; empty when nothing needs them identifiable."""
    reasons: list[str] = []
    memberships = (
        await session.scalars(
            select(Membership.organization_id).where(Membership.user_id == user_id, Membership.removed_at.is_(None))
        )
    ).all()
    if memberships:
        reasons.append(f"member of {len(memberships)} organisation(s)")
    staff = await session.scalar(
        select(OperatorAccount.id).where(OperatorAccount.user_id == user_id, OperatorAccount.active.is_(True))
    )
    if staff is not None:
        reasons.append("platform staff")
    reasons += await open_billing(session, user_id)
    return reasons


async def anonymise_person(session: AsyncSession, actor: Actor, user_id: uuid.UUID) -> User:
    """Erase the person's identity: number, own name and e-mail, and every organisation's name,
    e-mail, notes and parking spot for them. The rows stay (sessions and accounts refer to them)."""
    if actor.user_id is not None and not actor.is_operator:
        raise PermissionDenied("Only platform staff anonymise a person.", code="person.staff_only")
    async with unit_of_work(session):
        user = await session.get(User, user_id, with_for_update=True)
        if user is None:
            raise NotFound("No such person.", code="person.not_found")
        if user.anonymised_at is not None:
            raise Conflict("The person is already anonymised.", code="person.already_anonymised")
        reasons = await reasons_to_keep(session, user.id)
        if reasons:
            raise Conflict(
                f"The person cannot be anonymised: {'; '.join(reasons)}.",
                code="person.kept",
                params={"reasons": "; ".join(reasons)},
            )
        now = utcnow()
        user.phone = user.name = user.email = None
        user.anonymised_at = now
        await session.execute(
            update(Membership)
            .where(Membership.user_id == user.id)
            .values(name=None, email=None, notes=None, parking_spot=None, updated_at=now)
        )
        await session.execute(
            update(PortalSession)
            .where(PortalSession.user_id == user.id, PortalSession.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        record(session, actor, "person.anonymise", "user", user.id)
    return user
