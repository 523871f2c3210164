"""The member's app identity: the id tag the app sends in RemoteStartTransaction.

One per membership, made on the first start from the app. It is an ordinary active tag of the
member, so the access decision (members/access.py) and the chargers' local lists treat it exactly
like the member's cards. Its UID has 18 hex digits (9 bytes): no ISO 14443 card has a 9-byte UID,
so it can never be the UID of a physical card, and its label tells the admin it is the app.
"""

from __future__ import annotations

import secrets
import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.engine import unit_of_work
from ladeportal.enduser.models import AppTag
from ladeportal.members.local_list import local_list_changed
from ladeportal.members.models import IdTag, Membership, TagState
from ladeportal.platform.audit import Actor, record

APP_TAG_LABEL = "Ladeportal-app"  # understood in nb, sv and en alike; a label is data, not translated
APP_UID_HEX_DIGITS = 18


def new_app_uid() -> str:
    return secrets.token_hex(APP_UID_HEX_DIGITS // 2).upper()


def is_app_uid(uid: str) -> bool:
    return len(uid) == APP_UID_HEX_DIGITS


async def app_tag_ids(session: AsyncSession, membership_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    if not membership_ids:
        return set()
    rows = await session.scalars(select(AppTag.tag_id).where(AppTag.membership_id.in_(membership_ids)))
    return set(rows)


async def app_id_tag(session: AsyncSession, actor: Actor, membership: Membership) -> IdTag:
    """The membership's app tag, made (and announced to the chargers' local lists) when missing.
    Commits when it makes one."""
    existing = await session.scalar(
        select(IdTag).join(AppTag, AppTag.tag_id == IdTag.id).where(AppTag.membership_id == membership.id)
    )
    if existing is not None:
        return existing
    try:
        async with unit_of_work(session):
            tag = IdTag(
                id=uuid.uuid4(),
                organization_id=membership.organization_id,
                uid=new_app_uid(),
                membership_id=membership.id,
                label=APP_TAG_LABEL,
                state=TagState.active,
            )
            session.add(tag)
            await session.flush()
            session.add(AppTag(tag_id=tag.id, membership_id=membership.id))
            await session.flush()
            await local_list_changed(session, membership.organization_id)
            record(
                session,
                actor,
                "tag.app_identity",
                "id_tag",
                tag.id,
                organization_id=membership.organization_id,
                new={"uid": tag.uid, "membership_id": str(membership.id)},
            )
    except IntegrityError:
        # Two first starts at once: the other one made it.
        found = await session.scalar(
            select(IdTag).join(AppTag, AppTag.tag_id == IdTag.id).where(AppTag.membership_id == membership.id)
        )
        if found is None:
            raise
        return found
    return tag
