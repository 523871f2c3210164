"""Editing a member: what this organisation knows about them (name, e-mail, notes, parking spot),
their role and group.

Only the fields the caller sets change (UNSET leaves a field alone, None or "" clears it), so a form
that shows some of the fields cannot wipe the others. Everything edited here is the membership's:
the person's own record (number, own name, language) is not an organisation's to change.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.engine import unit_of_work
from ladeportal.members.groups import default_group, get_group
from ladeportal.members.local_list import local_list_changed
from ladeportal.members.lookup import get_membership
from ladeportal.members.models import Membership, Role
from ladeportal.members.profile import NAME_MAX, NOTES_MAX, PARKING_SPOT_MAX, clean_email, optional_text
from ladeportal.members.services import clean_role, ensure_an_admin_remains, is_acting_admin
from ladeportal.platform.audit import Actor, record


class _Unset(enum.Enum):
    UNSET = "unset"


UNSET: Final = _Unset.UNSET


@dataclass
class MemberChanges:
    name: str | _Unset | None = UNSET
    email: str | _Unset | None = UNSET
    notes: str | _Unset | None = UNSET
    role: Role | str | _Unset = UNSET
    # None (or the default group's id) puts the member in the organisation's default group.
    group_id: uuid.UUID | _Unset | None = UNSET
    parking_spot: str | _Unset | None = UNSET


async def edit_member(
    session: AsyncSession, actor: Actor, org_id: uuid.UUID, membership_id: uuid.UUID, changes: MemberChanges
) -> Membership:
    async with unit_of_work(session):
        membership = await get_membership(session, org_id, membership_id)
        before = _state(membership)
        c = changes
        if not isinstance(c.name, _Unset):
            membership.name = optional_text(c.name, "name", NAME_MAX)
        if not isinstance(c.email, _Unset):
            membership.email = clean_email(c.email)
        if not isinstance(c.notes, _Unset):
            membership.notes = optional_text(c.notes, "notes", NOTES_MAX)
        if not isinstance(c.role, _Unset):
            was_admin = is_acting_admin(membership)
            membership.role = clean_role(c.role)
            await ensure_an_admin_remains(session, org_id, was_admin)
        if not isinstance(c.parking_spot, _Unset):
            membership.parking_spot = optional_text(c.parking_spot, "parking_spot", PARKING_SPOT_MAX)
        if not isinstance(c.group_id, _Unset):
            membership.group_id = await resolve_group_id(session, org_id, c.group_id)
        after = _state(membership)
        if after != before:
            if after["group_id"] != before["group_id"]:
                await local_list_changed(session, org_id)
            # Personal fields are audited by name only: the audit trail outlives anonymisation.
            personal = [k for k in PERSONAL if before[k] != after[k]]
            record(
                session,
                actor,
                "membership.update",
                "membership",
                membership.id,
                organization_id=org_id,
                old=_without(before, PERSONAL),
                new={**_without(after, PERSONAL), "changed": personal},
            )
    return membership


PERSONAL = ("name", "email", "notes")


def _without(values: dict[str, object], keys: tuple[str, ...]) -> dict[str, object]:
    return {k: v for k, v in values.items() if k not in keys}


async def resolve_group_id(session: AsyncSession, org_id: uuid.UUID, group_id: uuid.UUID | None) -> uuid.UUID | None:
    """The group to store: None stands for the default group, so renaming or re-creating the default
    never strands members."""
    if group_id is None:
        return None
    group = await get_group(session, org_id, group_id)
    if group.id == (await default_group(session, org_id)).id:
        return None
    return group.id


def _state(membership: Membership) -> dict[str, object]:
    return {
        "name": membership.name,
        "email": membership.email,
        "notes": membership.notes,
        "role": membership.role.value,
        "group_id": str(membership.group_id) if membership.group_id else None,
        "parking_spot": membership.parking_spot,
    }
