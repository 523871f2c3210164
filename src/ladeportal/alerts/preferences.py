"""The organisation's offline threshold and each admin's alert channel (off, SMS, e-mail)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.alerts.models import DEFAULT_OFFLINE_MINUTES, AlertPreference, AlertSettings, Channel
from ladeportal.db.engine import unit_of_work
from ladeportal.errors import NotFound, ValidationFailed
from ladeportal.i18n import N_
from ladeportal.members.models import Membership, MembershipState, Role
from ladeportal.platform.audit import Actor, record

OFFLINE_MINUTES_RANGE = (5, 1440)
# Domain messages, in the catalogue so the portal shows them translated (forms.field_errors).
OFFLINE_MINUTES_INVALID = N_("A charger counts as offline after between 5 and 1440 minutes.")
CHANNEL_INVALID = N_("Choose off, SMS or e-mail.")
EMAIL_MISSING = N_("Alerts by e-mail need an e-mail address on your membership.")
NOT_AN_ADMIN = N_("Only administrators receive alerts.")


async def offline_minutes(session: AsyncSession, org_id: uuid.UUID) -> int:
    value = await session.scalar(select(AlertSettings.offline_minutes).where(AlertSettings.organization_id == org_id))
    return int(value) if value is not None else DEFAULT_OFFLINE_MINUTES


async def set_offline_minutes(session: AsyncSession, actor: Actor, org_id: uuid.UUID, minutes: int) -> None:
    low, high = OFFLINE_MINUTES_RANGE
    if not low <= minutes <= high:
        raise ValidationFailed(OFFLINE_MINUTES_INVALID, field="offline_minutes", code="alerts.offline_minutes_range")
    async with unit_of_work(session):
        row = await session.get(AlertSettings, org_id)
        old = row.offline_minutes if row is not None else DEFAULT_OFFLINE_MINUTES
        if row is None:
            session.add(AlertSettings(organization_id=org_id, offline_minutes=minutes))
        else:
            row.offline_minutes = minutes
        record(
            session,
            actor,
            "alerts.settings",
            "organization",
            org_id,
            organization_id=org_id,
            old={"offline_minutes": old},
            new={"offline_minutes": minutes},
        )


async def admin_membership(session: AsyncSession, org_id: uuid.UUID, user_id: uuid.UUID) -> Membership:
    """The caller's own admin membership in the organisation; alerts are the admins' business."""
    membership = await session.scalar(
        select(Membership).where(
            Membership.organization_id == org_id,
            Membership.user_id == user_id,
            Membership.removed_at.is_(None),
            Membership.state != MembershipState.blocked,
        )
    )
    if membership is None:
        raise NotFound("No such member.", code="member.not_found")
    if membership.role != Role.org_admin:
        raise ValidationFailed(NOT_AN_ADMIN, field="channel", code="alerts.not_an_admin")
    return membership


async def channel_of(session: AsyncSession, membership_id: uuid.UUID) -> Channel:
    value = await session.scalar(select(AlertPreference.channel).where(AlertPreference.membership_id == membership_id))
    return Channel(value) if value is not None else Channel.off


def parse_channel(raw: str | None) -> Channel:
    try:
        return Channel(raw or "")
    except ValueError:
        raise ValidationFailed(CHANNEL_INVALID, field="channel", code="alerts.channel_invalid") from None


async def set_channel(session: AsyncSession, org_id: uuid.UUID, user_id: uuid.UUID, channel: Channel) -> None:
    """The person's own choice for this organisation; e-mail only where the membership has an address."""
    async with unit_of_work(session):
        membership = await admin_membership(session, org_id, user_id)
        if channel == Channel.email and not membership.email:
            raise ValidationFailed(EMAIL_MISSING, field="channel", code="alerts.email_missing")
        row = await session.get(AlertPreference, membership.id)
        if row is None:
            session.add(AlertPreference(membership_id=membership.id, organization_id=org_id, channel=channel))
        else:
            row.channel = channel


async def own_choice(session: AsyncSession, org_id: uuid.UUID, user_id: uuid.UUID) -> tuple[Channel, bool]:
    """(the admin's channel, whether e-mail can be chosen) for the settings form."""
    membership = await admin_membership(session, org_id, user_id)
    return await channel_of(session, membership.id), bool(membership.email)
