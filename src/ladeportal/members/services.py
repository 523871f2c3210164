"""People in organisations: add by mobile number, roles, block/unblock, remove.

An organisation writes only its membership (the name and e-mail it knows the person by, notes,
parking spot); the person's own record (users) is created for a new number but never changed here.
Anonymising a person is a separate, explicit operation for platform staff (members.persons)."""

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
from ladeportal.members.profile import MemberProfile, clean_profile
from ladeportal.orgs.services import get_organization
from ladeportal.platform.audit import Actor, record, snapshot
from ladeportal.platform.models import OperatorAccount

LANGUAGES = ("nb", "en", "sv")
# Audited by value. The name, e-mail and notes are not: the audit trail outlives anonymisation.
MEMBERSHIP_FIELDS = ("role", "state", "group_id", "parking_spot")


@dataclass
class MemberInput:
    phone: str
    name: str | None = None
    email: str | None = None
    role: Role | str = Role.member
    group_id: uuid.UUID | None = None
    # Only for a number nobody has yet: an existing person keeps the language they chose.
    language: str | None = None
    parking_spot: str | None = None
    notes: str | None = None
    # False for people added only to carry a tag (no SMS until an admin sends one).
    send_invite: bool = True


def clean_role(value: Role | str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise ValidationFailed(
            f"Unknown role {value!r}; use one of {', '.join(r.value for r in Role)}.",
            field="role",
            code="member.role_unknown",
            params={"role": str(value), "roles": ", ".join(r.value for r in Role)},
        ) from None


def clean_language(value: str) -> str:
    if value not in LANGUAGES:
        raise ValidationFailed(
            f"Unknown language {value!r}; use one of {', '.join(LANGUAGES)}.",
            field="language",
            code="member.language_unknown",
            params={"language": value, "languages": ", ".join(LANGUAGES)},
        )
    return value


async def add_member(session: AsyncSession, actor: Actor, org_id: uuid.UUID, data: MemberInput) -> Membership:
    """Add a person by mobile number; an existing person joins instead of being duplicated.

    What the admin typed goes to the membership. Whether the number is known elsewhere changes
    nothing the caller sees: the result carries only this organisation's data."""
    async with unit_of_work(session):
        membership = await insert_member(session, actor, org_id, data)
    return membership


async def insert_member(session: AsyncSession, actor: Actor, org_id: uuid.UUID, data: MemberInput) -> Membership:
    """add_member inside the caller's transaction, for an operation that adds the member together with
    something else (an organisation and its first administrator)."""
    org = await get_organization(session, org_id)
    phone = normalise_mobile(data.phone, default_region=org.country)
    profile = clean_profile(data.name, data.email, data.notes, data.parking_spot)
    role = clean_role(data.role)
    language = clean_language(data.language or ("sv" if org.country == "SE" else "nb"))
    if data.group_id is not None:
        await get_group(session, org_id, data.group_id)
    # Locked, so that anonymising the person cannot interleave with their joining.
    user = await get_user_by_phone(session, phone, for_update=True)
    if user is None:
        user = User(id=uuid.uuid4(), phone=phone, language=language)
        session.add(user)
        await session.flush()
        record(session, actor, "user.create", "user", user.id, organization_id=org_id, new={"phone": phone})
    else:
        existing = await session.scalar(
            select(Membership).where(Membership.organization_id == org_id, Membership.user_id == user.id)
        )
        if existing is not None and existing.removed_at is None:
            raise Conflict(
                f"{phone} is already a member of this organisation.",
                field="phone",
                code="member.already_member",
                params={"phone": phone},
            )
        if existing is not None:
            # A removed member who comes back gets a fresh membership (their old tags stay blocked).
            existing.removed_at = None
            existing.activated_at = None
            existing.state = MembershipState.invited
            existing.role = role
            existing.group_id = data.group_id
            _set_profile(existing, profile)
            if data.send_invite:
                await queue_invite(session, org, existing, user)
            record(
                session,
                actor,
                "membership.rejoin",
                "membership",
                existing.id,
                organization_id=org_id,
                new=snapshot(existing, MEMBERSHIP_FIELDS),
            )
            return existing
    membership = Membership(
        id=uuid.uuid4(),
        organization_id=org_id,
        user_id=user.id,
        role=role,
        state=MembershipState.invited,
        group_id=data.group_id,
    )
    _set_profile(membership, profile)
    session.add(membership)
    await session.flush()
    if data.send_invite:
        await queue_invite(session, org, membership, user)
    record(
        session,
        actor,
        "membership.create",
        "membership",
        membership.id,
        organization_id=org_id,
        new=snapshot(membership, MEMBERSHIP_FIELDS),
    )
    return membership


def _set_profile(membership: Membership, profile: MemberProfile) -> None:
    membership.name, membership.email = profile.name, profile.email
    membership.notes, membership.parking_spot = profile.notes, profile.parking_spot


async def find_membership(session: AsyncSession, org_id: uuid.UUID, ref: str) -> Membership:
    try:
        return await get_membership(session, org_id, uuid.UUID(ref))
    except ValueError:
        pass
    org = await get_organization(session, org_id)
    phone = normalise_mobile(ref, default_region=org.country)
    membership = await session.scalar(
        select(Membership)
        .join(User)
        .options(selectinload(Membership.user))
        .where(Membership.organization_id == org_id, User.phone == phone, Membership.removed_at.is_(None))
    )
    if membership is None:
        raise NotFound(
            f"{phone} is not a member of this organisation.", code="member.not_member", params={"phone": phone}
        )
    return membership


async def list_members(session: AsyncSession, org_id: uuid.UUID) -> list[Membership]:
    return list(
        (
            await session.scalars(
                select(Membership)
                .join(User)
                .options(selectinload(Membership.user))
                .where(Membership.organization_id == org_id, Membership.removed_at.is_(None))
                .order_by(Membership.name, User.phone)
            )
        ).all()
    )


def is_acting_admin(membership: Membership) -> bool:
    return (
        membership.role == Role.org_admin
        and membership.state != MembershipState.blocked
        and membership.removed_at is None
    )


async def ensure_an_admin_remains(session: AsyncSession, org_id: uuid.UUID, was_admin: bool) -> None:
    """Refuse the change that would leave an organisation without an administrator: nobody could then
    add users, set prices or get paid without the platform's staff stepping in."""
    if not was_admin:
        return
    left = await session.scalar(
        select(func.count())
        .select_from(Membership)
        .where(
            Membership.organization_id == org_id,
            Membership.role == Role.org_admin,
            Membership.state != MembershipState.blocked,
            Membership.removed_at.is_(None),
        )
    )
    if not left:
        raise Conflict(
            "The organisation needs at least one administrator: make someone else an administrator first.",
            field="role",
            code="member.last_admin",
        )


async def _change_membership(
    session: AsyncSession,
    actor: Actor,
    org_id: uuid.UUID,
    membership_id: uuid.UUID,
    action: str,
    *,
    affects_access: bool = False,
    **values: object,
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
        record(
            session,
            actor,
            action,
            "membership",
            membership.id,
            organization_id=org_id,
            old=old,
            new=snapshot(membership, MEMBERSHIP_FIELDS),
        )
    return membership


async def set_role(
    session: AsyncSession, actor: Actor, org_id: uuid.UUID, membership_id: uuid.UUID, role: Role | str
) -> Membership:
    return await _change_membership(session, actor, org_id, membership_id, "membership.role", role=clean_role(role))


async def block_member(session: AsyncSession, actor: Actor, org_id: uuid.UUID, membership_id: uuid.UUID) -> Membership:
    """A blocked member's tags stop working at once (access decisions read the membership state)."""
    return await _change_membership(
        session,
        actor,
        org_id,
        membership_id,
        "membership.block",
        affects_access=True,
        state=MembershipState.blocked,
    )


async def unblock_member(
    session: AsyncSession, actor: Actor, org_id: uuid.UUID, membership_id: uuid.UUID
) -> Membership:
    async with unit_of_work(session):
        membership = await get_membership(session, org_id, membership_id)
        if membership.state != MembershipState.blocked:
            raise Conflict("The member is not blocked.", code="member.not_blocked")
        membership.state = MembershipState.active if membership.activated_at else MembershipState.invited
        await local_list_changed(session, org_id)
        record(
            session,
            actor,
            "membership.unblock",
            "membership",
            membership.id,
            organization_id=org_id,
            old={"state": "blocked"},
            new={"state": membership.state.value},
        )
    return membership


async def remove_member(session: AsyncSession, actor: Actor, org_id: uuid.UUID, membership_id: uuid.UUID) -> None:
    """End the membership: its tags stop working and what this organisation stored about the person
    (e-mail, notes, parking spot) is cleared. The name stays with the membership, because this
    organisation's past sessions and invoices must say whose they were. The person and their other
    memberships are untouched; anonymising is members.persons.anonymise_person."""
    async with unit_of_work(session):
        membership = await get_membership(session, org_id, membership_id)
        was_admin = is_acting_admin(membership)
        membership.removed_at = utcnow()
        membership.state = MembershipState.blocked
        membership.email = membership.notes = membership.parking_spot = None
        await ensure_an_admin_remains(session, org_id, was_admin)
        await session.execute(update(IdTag).where(IdTag.membership_id == membership.id).values(state=TagState.blocked))
        await local_list_changed(session, org_id)
        record(session, actor, "membership.remove", "membership", membership.id, organization_id=org_id)


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
