"""The one place that decides whether a tag may charge at a charger.

Rules: the tag exists and belongs to the charger's organisation; it is active and not expired; its
member (if any) is not removed, and is invited or active but not blocked; the group (the member's,
or the visitor key's) may use the charger's site (or that one charger); and, when the organisation
blocks for unpaid invoices, the member has no invoice overdue by more than its days (billing). The answer maps onto OCPP
idTagInfo statuses. `tag_status` holds the rules without I/O, so the local authorization list
(local_list.py) computes exactly the answers that a live Authorize would get.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.billing.overdue_block import overdue_block
from ladeportal.errors import ValidationFailed
from ladeportal.members.groups import default_group, effective_group, group_may_use
from ladeportal.members.models import IdTag, Membership, MembershipState, TagState, UserGroup
from ladeportal.members.rfid import normalise_uid


class AccessStatus(enum.StrEnum):
    accepted = "Accepted"
    blocked = "Blocked"
    expired = "Expired"
    invalid = "Invalid"


@dataclass(frozen=True)
class AccessDecision:
    status: AccessStatus
    tag_id: uuid.UUID | None = None
    membership_id: uuid.UUID | None = None
    group_id: uuid.UUID | None = None
    expires_at: datetime | None = None
    reason: str = ""


@dataclass(frozen=True)
class MemberFacts:
    state: MembershipState
    removed: bool


INVOICE_OVERDUE = "invoice overdue"
# Guests' tags (guests/charges.py) start so; no RFID UID does ("G", "S", "T" are not hexadecimal).
GUEST_TAG_PREFIX = "GST"


class TagRefusal(enum.StrEnum):
    """Why a tag is refused wherever it is used; the values are the decision's reasons."""

    tag_blocked = "tag blocked"
    tag_expired = "tag expired"
    member_removed = "member removed"
    member_blocked = "member blocked"


def tag_refusal(
    tag_state: TagState,
    expires_at: datetime | None,
    member: MemberFacts | None,
    at: datetime,
) -> tuple[AccessStatus, TagRefusal] | None:
    """The rules that do not depend on the charger, in the order that gives the most useful answer to
    the driver; also what the portal shows as a tag's state, so the page cannot disagree with a charger."""
    if tag_state != TagState.active:
        return AccessStatus.blocked, TagRefusal.tag_blocked
    if expires_at is not None and expires_at <= at:
        return AccessStatus.expired, TagRefusal.tag_expired
    if member is not None:
        if member.removed:
            return AccessStatus.invalid, TagRefusal.member_removed
        if member.state == MembershipState.blocked:
            return AccessStatus.blocked, TagRefusal.member_blocked
    return None


def tag_status(
    tag_state: TagState,
    expires_at: datetime | None,
    member: MemberFacts | None,
    group_allowed: bool,
    at: datetime,
) -> tuple[AccessStatus, str]:
    """The rules, in the order that gives the most useful answer to the driver."""
    refused = tag_refusal(tag_state, expires_at, member, at)
    if refused is not None:
        return refused[0], refused[1].value
    if not group_allowed:
        return AccessStatus.invalid, "group may not use this site"
    return AccessStatus.accepted, "ok"


async def decide_access(
    session: AsyncSession,
    organization_id: uuid.UUID,
    site_id: uuid.UUID,
    raw_uid: str,
    at: datetime,
    *,
    charge_point_id: uuid.UUID | None = None,
) -> AccessDecision:
    if raw_uid.startswith(GUEST_TAG_PREFIX):
        # A guest's tag at a public charger: valid only while the guest's card hold is in place.
        from ladeportal.guests.access import guest_decision  # guests depends on this module

        return await guest_decision(session, organization_id, raw_uid, at, charge_point_id)
    try:
        uid = normalise_uid(raw_uid)
    except ValidationFailed:
        return AccessDecision(AccessStatus.invalid, reason="not a UID")
    tag = await session.scalar(select(IdTag).where(IdTag.uid == uid, IdTag.organization_id == organization_id))
    if tag is None:
        return AccessDecision(AccessStatus.invalid, reason="unknown tag")
    membership: Membership | None = None
    member: MemberFacts | None = None
    if tag.membership_id is not None:
        membership = await session.get(Membership, tag.membership_id)
        if membership is None:
            return AccessDecision(AccessStatus.invalid, tag_id=tag.id, reason="member removed")
        member = MemberFacts(membership.state, membership.removed_at is not None)
        group = await effective_group(session, membership)
    else:
        group = await _visitor_group(session, organization_id, tag.group_id)
    allowed = await group_may_use(session, group, site_id, charge_point_id)
    status, reason = tag_status(tag.state, tag.expires_at, member, allowed, at)
    # Asked last and only for a tag that would charge: one indexed query on the member's invoices.
    if (
        status == AccessStatus.accepted
        and membership is not None
        and await overdue_block(session, organization_id, membership.id, at)
    ):
        status, reason = AccessStatus.blocked, INVOICE_OVERDUE
    return AccessDecision(
        status,
        tag_id=tag.id,
        membership_id=membership.id if membership else None,
        group_id=group.id,
        expires_at=tag.expires_at,
        reason=reason,
    )


async def _visitor_group(session: AsyncSession, org_id: uuid.UUID, group_id: uuid.UUID | None) -> UserGroup:
    group = await session.get(UserGroup, group_id) if group_id else None
    if group is None or group.deleted_at is not None:
        return await default_group(session, org_id)
    return group
