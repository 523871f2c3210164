"""People in organisations: add by mobile number, roles, block/unblock, remove with anonymisation."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from ladeportal.db.base import utcnow
from ladeportal.db.engine import unit_of_work
from ladeportal.errors import Conflict, NotFound, ValidationFailed
from ladeportal.members.groups import get_group
from ladeportal.members.invites import queue_invite
from ladeportal.members.local_list import local_list_changed
from ladeportal.members.lookup import get_membership, get_user_by_phone
from ladeportal.members.models import IdTag, Membership, MembershipState, Role, TagState, User
from ladeportal.members.phone import normalise_mobile
from ladeportal.orgs.services import get_organization
from ladeportal.platform.audit import Actor, record, snapshot
from ladeportal.platform.models import OperatorAccount

LANGUAGES = ("nb", "en", "sv")
MEMBERSHIP_FIELDS = ("role", "state", "group_id", "parking_spot")


@dataclass
class MemberInput:
    phone: str
    name: str | None = None
    email: str | None = None
    role: Role | str = Role.member
    group_id: uuid.UUID | None = None
    language: str | None = None
    parking_spot: str | None = None
    # False for people added only to carry a tag (no SMS until an admin sends one).
    send_invite: bool = True


def clean_email(value: str | None) -> str | None:
    text = (value or "").strip()
    if not text:
        return None
    if "@" not in text or text.startswith("@") or text.endswith("@") or " " in text or len(text) > 254:
        raise ValidationFailed(f"{value!r} is not an e-mail address.", field="email")
    return text


def clean_role(value: Role | str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise ValidationFailed(
            f"Unknown role {value!r}; use one of {', '.join(r.value for r in Role)}.", field="role"
        ) from None


def clean_language(value: str) -> str:
    if value not in LANGUAGES:
        raise ValidationFailed(f"Unknown language {value!r}; use one of {', '.join(LANGUAGES)}.", field="language")
    return value


async def add_member(session: AsyncSession, actor: Actor, org_id: uuid.UUID, data: MemberInput) -> Membership:
    """Add a person by mobile number; an existing person joins instead of being duplicated."""
    async with unit_of_work(session):
        org = await get_organization(session, org_id)
        phone = normalise_mobile(data.phone, default_region=org.country)
        email = clean_email(data.email)
        role = clean_role(data.role)
        language = clean_language(data.language or ("sv" if org.country == "SE" else "nb"))
        if data.group_id is not None:
            await get_group(session, org_id, data.group_id)
        user = await get_user_by_phone(session, phone)
        if user is None:
            user = User(id=uuid.uuid4(), phone=phone, name=(data.name or "").strip() or None, email=email,
                        language=language)
            session.add(user)
            await session.flush()
            record(session, actor, "user.create", "user", user.id, organization_id=org_id,
                   new={"phone": phone})
        else:
            existing = await session.scalar(
                select(Membership).where(Membership.organization_id == org_id, Membership.user_id == user.id)
            )
            if existing is not None and existing.removed_at is None:
                raise Conflict(f"{phone} is already a member of this organisation.", field="phone")
            # Another organisation may know the person by another name; fill in only what is missing.
            if data.name and data.name.strip() and not user.name:
                user.name = data.name.strip()
            if email and not user.email:
                user.email = email
            if existing is not None:
                # A removed member who comes back gets a fresh membership (their old tags stay blocked).
                existing.removed_at = None
                existing.state = MembershipState.invited
                existing.role = role
                existing.group_id = data.group_id
                existing.parking_spot = (data.parking_spot or "").strip() or None
                if data.send_invite:
                    await queue_invite(session, org, existing, user)
                record(session, actor, "membership.rejoin", "membership", existing.id, organization_id=org_id)
                return existing
        membership = Membership(
            id=uuid.uuid4(), organization_id=org_id, user_id=user.id, role=role,
            state=MembershipState.invited, group_id=data.group_id,
            parking_spot=(data.parking_spot or "").strip() or None,
        )
        session.add(membership)
        await session.flush()
        if data.send_invite:
            await queue_invite(session, org, membership, user)
        record(session, actor, "membership.create", "membership", membership.id, organization_id=org_id,
               new=snapshot(membership, MEMBERSHIP_FIELDS))
    return membership


async def find_membership(session: AsyncSession, org_id: uuid.UUID, ref: str) -> Membership:
    try:
        return await get_membership(session, org_id, uuid.UUID(ref))
    except ValueError:
        pass
    org = await get_organization(session, org_id)
    phone = normalise_mobile(ref, default_region=org.country)
    membership = await session.scalar(
        select(Membership).join(User).options(selectinload(Membership.user))
        .where(Membership.organization_id == org_id, User.phone == phone, Membership.removed_at.is_(None))
    )
    if membership is None:
        raise NotFound(f"{phone} is not a member of this organisation.")
    return membership


async def list_members(session: AsyncSession, org_id: uuid.UUID) -> list[Membership]:
    return list(
        (await session.scalars(
            select(Membership).join(User).options(selectinload(Membership.user))
            .where(Membership.organization_id == org_id, Membership.removed_at.is_(None))
            .order_by(User.name, User.phone)
        )).all()
    )


def is_acting_admin(membership: Membership) -> bool:
    return (
        membership.role == Role.org_admin and membership.state != MembershipState.blocked
        and membership.removed_at is None
    )


async def ensure_an_admin_remains(session: AsyncSession, org_id: uuid.UUID, was_admin: bool) -> None:
    """Refuse the change that would leave an organisation without an administrator: nobody could then
    add users, set prices or get paid without the platform's staff stepping in."""
    if not was_admin:
        return
    left = await session.scalar(
        select(func.count()).select_from(Membership).where(
            Membership.organization_id == org_id, Membership.role == Role.org_admin,
            Membership.state != MembershipState.blocked, Membership.removed_at.is_(None),
        )
    )
    if not left:
        raise Conflict(
            "The organisation needs at least one administrator: make someone else an administrator first.",
            field="role",
        )


async def _change_membership(
    session: AsyncSession, actor: Actor, org_id: uuid.UUID, membership_id: uuid.UUID, action: str,
    *, affects_access: bool = False, **values: object,
) -> Membership:
    async with unit_of_work(session):
        membership = await get_membership(session, org_id, membership_id)
        old = snapshot(membership, MEMBERSHIP_FIELDS)
        was_admin = is_acting_admin(membership)
        for key, value in values.items():
            setattr(membership, key, value)
        await ensure_an_admin_remains(session, org_id, was_admin)
        if affects_access:
            await local_list_changed(session, org_id)
        record(session, actor, action, "membership", membership.id, organization_id=org_id,
               old=old, new=snapshot(membership, MEMBERSHIP_FIELDS))
    return membership


async def set_role(session: AsyncSession, actor: Actor, org_id: uuid.UUID, membership_id: uuid.UUID,
                   role: Role | str) -> Membership:
    return await _change_membership(session, actor, org_id, membership_id, "membership.role", role=clean_role(role))


async def block_member(session: AsyncSession, actor: Actor, org_id: uuid.UUID, membership_id: uuid.UUID) -> Membership:
    """A blocked member's tags stop working at once (access decisions read the membership state)."""
    return await _change_membership(
        session, actor, org_id, membership_id, "membership.block", affects_access=True,
        state=MembershipState.blocked,
    )


async def unblock_member(
    session: AsyncSession, actor: Actor, org_id: uuid.UUID, membership_id: uuid.UUID
) -> Membership:
    async with unit_of_work(session):
        membership = await get_membership(session, org_id, membership_id)
        if membership.state != MembershipState.blocked:
            raise Conflict("The member is not blocked.")
        user = membership.user
        membership.state = MembershipState.active if user.last_login_at else MembershipState.invited
        await local_list_changed(session, org_id)
        record(session, actor, "membership.unblock", "membership", membership.id, organization_id=org_id,
               old={"state": "blocked"}, new={"state": membership.state.value})
    return membership


async def remove_member(session: AsyncSession, actor: Actor, org_id: uuid.UUID, membership_id: uuid.UUID) -> None:
    """Remove a member: their tags are retired; if they belong nowhere else, their personal data is
    anonymised. The user row, sessions and invoices stay, because accounting must keep them."""
    async with unit_of_work(session):
        membership = await get_membership(session, org_id, membership_id)
        was_admin = is_acting_admin(membership)
        membership.removed_at = utcnow()
        membership.state = MembershipState.blocked
        await ensure_an_admin_remains(session, org_id, was_admin)
        await session.execute(
            update(IdTag).where(IdTag.membership_id == membership.id).values(state=TagState.blocked)
        )
        others = await session.scalar(
            select(Membership.id).where(
                Membership.user_id == membership.user_id, Membership.id != membership.id,
                Membership.removed_at.is_(None),
            )
        )
        if others is None:
            anonymise_user(membership.user)
        await local_list_changed(session, org_id)
        record(session, actor, "membership.remove", "membership", membership.id, organization_id=org_id)


def anonymise_user(user: User) -> None:
    user.phone = None
    user.name = None
    user.email = None
    user.anonymised_at = utcnow()


async def make_operator(session: AsyncSession, actor: Actor, phone: str, name: str | None = None) -> OperatorAccount:
    """Platform staff are users with an operator account; they log in like everyone else."""
    async with unit_of_work(session):
        e164 = normalise_mobile(phone)
        user = await get_user_by_phone(session, e164)
        if user is None:
            user = User(id=uuid.uuid4(), phone=e164, name=name, language="nb")
            session.add(user)
            await session.flush()
        account = await session.scalar(select(OperatorAccount).where(OperatorAccount.user_id == user.id))
        if account is None:
            account = OperatorAccount(id=uuid.uuid4(), user_id=user.id, active=True)
            session.add(account)
            await session.flush()
            record(session, actor, "operator.create", "operator", account.id, new={"phone": e164})
    return account
