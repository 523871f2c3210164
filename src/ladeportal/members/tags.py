"""RFID tags: members' cards and organisation-level visitor keys (owned by a group)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.engine import unit_of_work
from ladeportal.errors import Conflict, NotFound, ValidationFailed
from ladeportal.limits import check_date
from ladeportal.members.groups import get_group
from ladeportal.members.local_list import local_list_changed
from ladeportal.members.lookup import get_membership
from ladeportal.members.models import IdTag, TagState
from ladeportal.members.rfid import normalise_uid
from ladeportal.platform.audit import Actor, record, snapshot

TAG_FIELDS = ("uid", "membership_id", "group_id", "label", "state", "expires_at")


@dataclass
class TagInput:
    uid: str
    membership_id: uuid.UUID | None = None
    group_id: uuid.UUID | None = None
    label: str | None = None
    expires_at: datetime | None = None


def check_owner(membership_id: uuid.UUID | None, group_id: uuid.UUID | None) -> None:
    if membership_id is None and group_id is None:
        raise ValidationFailed(
            "A tag belongs to a member, or is a visitor key of a group.",
            field="membership_id",
            code="tag.owner_conflict",
        )
    if membership_id is not None and group_id is not None:
        raise ValidationFailed(
            "A member's tag follows the member's group; give a member or a group.",
            field="group_id",
            code="tag.member_and_group",
        )


def clean_label(value: str | None) -> str | None:
    label = (value or "").strip() or None
    if label is not None and len(label) > 80:
        raise ValidationFailed("The label is at most 80 characters.", field="label", code="tag.label_too_long")
    return label


def check_expiry(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValidationFailed("The expiry needs a time zone.", field="expires_at", code="tag.expiry_needs_zone")
    return check_date(value, "expires_at")


def uid_taken_message(uid: str, same_org: bool) -> str:
    # Don't reveal which organisation holds the card.
    if same_org:
        return f"Tag {uid} is already registered."
    return f"Tag {uid} is registered to another organisation."


async def add_tag(session: AsyncSession, actor: Actor, org_id: uuid.UUID, data: TagInput) -> IdTag:
    uid = normalise_uid(data.uid)
    check_owner(data.membership_id, data.group_id)
    label = clean_label(data.label)
    expires_at = check_expiry(data.expires_at)
    async with unit_of_work(session):
        await _check_owner_in_org(session, org_id, data.membership_id, data.group_id)
        existing = await session.scalar(select(IdTag.organization_id).where(IdTag.uid == uid))
        if existing is not None:
            raise Conflict(
                uid_taken_message(uid, existing == org_id),
                field="uid",
                code="tag.already_registered" if existing == org_id else "tag.registered_elsewhere",
                params={"uid": uid},
            )
        tag = IdTag(
            id=uuid.uuid4(),
            organization_id=org_id,
            uid=uid,
            membership_id=data.membership_id,
            group_id=data.group_id,
            label=label,
            expires_at=expires_at,
            state=TagState.active,
        )
        session.add(tag)
        await session.flush()
        await local_list_changed(session, org_id)
        record(session, actor, "tag.create", "id_tag", tag.id, organization_id=org_id, new=snapshot(tag, TAG_FIELDS))
    return tag


async def _check_owner_in_org(
    session: AsyncSession, org_id: uuid.UUID, membership_id: uuid.UUID | None, group_id: uuid.UUID | None
) -> None:
    if membership_id is not None:
        await get_membership(session, org_id, membership_id)
    if group_id is not None:
        await get_group(session, org_id, group_id)


@dataclass
class TagChanges:
    """The new owner (a member or a group), label and expiry of a tag; every field is replaced."""

    membership_id: uuid.UUID | None
    group_id: uuid.UUID | None
    label: str | None
    expires_at: datetime | None


async def update_tag(
    session: AsyncSession, actor: Actor, org_id: uuid.UUID, tag_id: uuid.UUID, data: TagChanges
) -> IdTag:
    """Assign a tag to a member or make it a group's visitor key, label it, set or clear its expiry."""
    check_owner(data.membership_id, data.group_id)
    label = clean_label(data.label)
    expires_at = check_expiry(data.expires_at)
    async with unit_of_work(session):
        tag = await get_tag(session, org_id, tag_id)
        await _check_owner_in_org(session, org_id, data.membership_id, data.group_id)
        old = snapshot(tag, TAG_FIELDS)
        tag.membership_id, tag.group_id = data.membership_id, data.group_id
        tag.label, tag.expires_at = label, expires_at
        new = snapshot(tag, TAG_FIELDS)
        if old != new:
            await local_list_changed(session, org_id)
            record(session, actor, "tag.update", "id_tag", tag.id, organization_id=org_id, old=old, new=new)
    return tag


async def get_tag(session: AsyncSession, org_id: uuid.UUID, tag_id: uuid.UUID) -> IdTag:
    tag = await session.scalar(select(IdTag).where(IdTag.id == tag_id, IdTag.organization_id == org_id))
    if tag is None:
        raise NotFound("No such tag.", code="tag.not_found")
    return tag


async def list_tags(
    session: AsyncSession,
    org_id: uuid.UUID,
    *,
    membership_id: uuid.UUID | None = None,
    visitor_keys_only: bool = False,
) -> list[IdTag]:
    query = select(IdTag).where(IdTag.organization_id == org_id)
    if membership_id is not None:
        query = query.where(IdTag.membership_id == membership_id)
    if visitor_keys_only:
        query = query.where(IdTag.membership_id.is_(None))
    return list((await session.scalars(query.order_by(IdTag.uid))).all())


async def set_tag_state(
    session: AsyncSession, actor: Actor, org_id: uuid.UUID, tag_id: uuid.UUID, state: TagState
) -> IdTag:
    async with unit_of_work(session):
        tag = await get_tag(session, org_id, tag_id)
        old = snapshot(tag, TAG_FIELDS)
        tag.state = state
        await local_list_changed(session, org_id)
        record(
            session,
            actor,
            f"tag.{state.value}",
            "id_tag",
            tag.id,
            organization_id=org_id,
            old=old,
            new=snapshot(tag, TAG_FIELDS),
        )
    return tag
