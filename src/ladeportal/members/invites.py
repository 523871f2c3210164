"""Invitations: sent when a person is added, resent by an admin at most once per 10 minutes.

One channel rule for every invitation, single or from a bulk import (`invite_routes`): the e-mail
goes when the choice includes it and the membership has an e-mail address with e-mail switched on;
the SMS goes when the choice includes it, or when the e-mail cannot go (the number is the login).
A person added alone is invited by both; a resend and a bulk import let the admin choose SMS, e-mail
or both.

Every invitation also passes the organisation's SMS limits (messaging/org_limits.py), keyed on the
organisation and the number, so removing and re-adding a person sends no further SMS. The text is
the platform's, with the organisation's name quoted, shortened and stripped of anything that could
pass for a link or a sender (a name like "DNB: your card is blocked, call ..." stays a quoted name).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.base import utcnow
from ladeportal.db.engine import unit_of_work
from ladeportal.errors import Conflict, ValidationFailed
from ladeportal.jobs.models import OutboxTask, TaskState
from ladeportal.members.lookup import get_membership
from ladeportal.members.models import Membership, MembershipState, Role, User
from ladeportal.messaging.email_address import valid_address
from ladeportal.messaging.email_queue import email_enabled, queue_email
from ladeportal.messaging.org_limits import admit_org_sms
from ladeportal.messaging.queue import SMS_TASK, queue_sms
from ladeportal.orgs.models import Organization
from ladeportal.orgs.services import get_organization
from ladeportal.platform.audit import Actor, record
from ladeportal.settings import get_settings

RESEND_INTERVAL = timedelta(minutes=10)

Channel = Literal["sms", "email", "both"]
CHANNELS: tuple[Channel, ...] = ("both", "sms", "email")
INVITE_EMAIL_TEMPLATE = "invite"
ORG_NAME_IN_EMAIL = 80

ORG_NAME_IN_SMS = 40
# Letters, digits, spaces and the punctuation of company names; no ":" "@" or "/" (no links, no
# "Bank: ..." prefixes) and no quotes that could close the «» frame.
_NOT_IN_NAME = re.compile(r"[^\w .,&'()\-]+")

# Drivers have no portal (their app comes later), so their invitation promises only what works
# today: charging with the RFID tag the owner gives them. Administrators get the portal's login link.
# Both start with the platform's name and end with its fixed address, whatever the organisation is called.
_TEXTS = {
    "nb": "Ladeportal: «{org}» har lagt deg til som bruker av ladeanlegget. "
    "Du lader med brikken du får fra styret. {url}",
    "en": "Ladeportal: «{org}» has added you as a user of its EV chargers. "
    "You charge with the RFID tag you are given. {url}",
    "sv": "Ladeportal: «{org}» har lagt till dig som användare av laddstationerna. Du laddar med taggen du får. {url}",
}
_PORTAL_TEXTS = {
    "nb": "Ladeportal: «{org}» har gitt deg tilgang til ladeportalen. Logg inn med mobilnummeret ditt: {url}",
    "en": "Ladeportal: «{org}» has given you access to the charging portal. Log in with your mobile number: {url}",
    "sv": "Ladeportal: «{org}» har gett dig tillgång till laddportalen. Logga in med ditt mobilnummer: {url}",
}


class InviteLimited(Conflict):
    code = "sms_limit"


@dataclass(frozen=True, slots=True)
class BulkInvite:
    """One invitation of a bulk import: the membership's fields as the import writes them."""

    membership_id: uuid.UUID
    phone: str
    language: str
    count: int  # the membership's invite_count after this invitation
    email: str | None = None


def check_channel(channel: str) -> Channel:
    for known in CHANNELS:
        if channel == known:
            return known
    raise ValidationFailed("Choose SMS, e-mail or both.", field="channel", code="invite.channel_unknown")


def invite_routes(channel: Channel, can_email: bool) -> tuple[bool, bool]:
    """(by SMS, by e-mail) for an invitation with this choice to someone who can (not) get e-mail."""
    by_email = channel != "sms" and can_email
    return channel != "email" or not by_email, by_email


def org_name_for_sms(name: str, limit: int = ORG_NAME_IN_SMS) -> str:
    cleaned = " ".join(_NOT_IN_NAME.sub(" ", name).split())
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 1].rstrip() + "…"
    return cleaned or "?"


def can_email_invite(membership: Membership) -> bool:
    """Whether an invitation can go by e-mail: the membership has a usable address and e-mail is on."""
    return can_email_address(membership.email)


def can_email_address(address: str | None) -> bool:
    if not address or not email_enabled():
        return False
    try:
        valid_address(address)
    except ValidationFailed:
        return False  # an address stored before today's checks must not stop the SMS
    return True


async def queue_invite_sms_many(
    session: AsyncSession, org: Organization, invites: list[tuple[uuid.UUID, str, str, int]]
) -> None:
    """SMS invitations for (membership id, phone, language, invite count) tuples, as `queue_invites_many`."""
    await queue_invites_many(session, org, [BulkInvite(*invite) for invite in invites], "sms")


async def queue_invites_many(
    session: AsyncSession, org: Organization, invites: list[BulkInvite], channel: Channel = "sms"
) -> None:
    """The invitations of a bulk import, by the same channel rule and limits as a single one
    (`queue_invite`). The SMS go as one executemany: the same outbox rows queue_sms writes (kind,
    payload and dedupe key alike), because 10,000 single inserts would dominate a bulk import.
    Numbers over the organisation's SMS limits get no SMS (their membership rows still say invited;
    an admin can resend later); their e-mail, when the choice allows one, still goes."""
    now = utcnow()
    by_sms: list[BulkInvite] = []
    by_email: list[BulkInvite] = []
    for invite in invites:
        sms, email = invite_routes(channel, can_email_address(invite.email))
        if sms:
            by_sms.append(invite)
        if email:
            by_email.append(invite)
    admitted = await admit_org_sms(session, org.id, [invite.phone for invite in by_sms], "invite", now)
    rows = [
        {
            "kind": SMS_TASK,
            "payload": {"to": invite.phone, "text": invite_text(org.legal_name, invite.language), "purpose": "invite"},
            "dedupe_key": f"invite:{invite.membership_id}:{invite.count}",
            "run_after": now,
            "max_attempts": 8,
            "state": TaskState.pending,
            "attempts": 0,
            "created_at": now,
        }
        for invite, ok in zip(by_sms, admitted, strict=True)
        if ok
    ]
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(OutboxTask).on_conflict_do_nothing(index_elements=["dedupe_key"])
    for start in range(0, len(rows), 1000):
        await session.execute(stmt, rows[start : start + 1000])
    for invite in by_email:
        await _queue_invite_email(
            session, org, invite.membership_id, invite.email or "", invite.count, invite.language, portal=False
        )


def invite_url(*, portal: bool) -> str:
    base = get_settings().public_url.rstrip("/")
    return base + "/portal/login" if portal else base


def invite_text(org_name: str, language: str, *, portal: bool = False) -> str:
    texts = _PORTAL_TEXTS if portal else _TEXTS
    return texts.get(language, texts["nb"]).format(org=org_name_for_sms(org_name), url=invite_url(portal=portal))


async def queue_invite(
    session: AsyncSession,
    org: Organization,
    membership: Membership,
    user: User,
    now: datetime | None = None,
    *,
    channel: Channel = "both",
) -> bool:
    """Queue the invitation inside the caller's transaction, by `channel` as `invite_routes` reads it,
    and note when it went out. False (and nothing queued or noted) when neither can go: no phone or
    the organisation's SMS limits say no, and no e-mail."""
    now = now or utcnow()
    by_sms, send_email = invite_routes(channel, can_email_invite(membership))
    phone = user.phone if by_sms else None
    if phone:
        [admitted] = await admit_org_sms(session, org.id, [phone], "invite", now)
        phone = phone if admitted else None
    if not phone and not send_email:
        return False
    membership.invite_count = (membership.invite_count or 0) + 1
    membership.invited_at = membership.invited_at or now
    membership.invite_sent_at = now
    portal = membership.role != Role.member
    if phone:
        await queue_invite_sms(
            session, org, membership.id, phone, user.language, membership.invite_count, portal=portal
        )
    if send_email:
        await queue_invite_email(session, org, membership, user.language, portal=portal)
    return True


async def queue_invite_email(
    session: AsyncSession, org: Organization, membership: Membership, language: str, *, portal: bool
) -> None:
    """The e-mail alone, to the membership's address: the organisation's name (framed, as in the SMS)
    and the platform's fixed link, nothing else an admin typed. One per membership and count, so a
    retried request sends one."""
    await _queue_invite_email(
        session, org, membership.id, membership.email or "", membership.invite_count, language, portal=portal
    )


async def _queue_invite_email(
    session: AsyncSession,
    org: Organization,
    membership_id: uuid.UUID,
    address: str,
    count: int,
    language: str,
    *,
    portal: bool,
) -> None:
    await queue_email(
        session,
        address,
        INVITE_EMAIL_TEMPLATE,
        language if language in ("nb", "en", "sv") else "nb",
        {
            "organization_name": org_name_for_sms(org.legal_name, ORG_NAME_IN_EMAIL),
            "invite_url": invite_url(portal=portal),
            "portal": portal,
        },
        organization_id=org.id,
        dedupe_key=f"invite-email:{membership_id}:{count}",
    )


async def queue_invite_sms(
    session: AsyncSession,
    org: Organization,
    membership_id: uuid.UUID,
    phone: str,
    language: str,
    count: int,
    *,
    portal: bool = False,
) -> None:
    """The SMS alone; the caller records the invitation on the membership (count = its invite_count)."""
    # The key makes a retried request (same membership, same count) queue one SMS, not two.
    await queue_sms(
        session,
        phone,
        invite_text(org.legal_name, language, portal=portal),
        purpose="invite",
        dedupe_key=f"invite:{membership_id}:{count}",
    )


async def resend_invite(
    session: AsyncSession,
    actor: Actor,
    org_id: uuid.UUID,
    membership_id: uuid.UUID,
    now: datetime | None = None,
    *,
    channel: Channel = "both",
) -> Membership:
    """Send the invitation again by `channel`: "sms", "email" or "both" (the e-mail only when the
    membership has an address and e-mail is on)."""
    channel = check_channel(channel)
    now = now or utcnow()
    async with unit_of_work(session):
        org = await get_organization(session, org_id)
        membership = await get_membership(session, org_id, membership_id)
        user = membership.user
        if membership.state == MembershipState.blocked:
            raise Conflict(
                "The member is blocked; unblock them before sending an invitation.", code="invite.member_blocked"
            )
        # This organisation's view only: a login elsewhere must not be revealed (nor block the invite).
        if membership.activated_at is not None:
            raise Conflict("The member has already logged in.", code="invite.already_logged_in")
        if membership.invite_sent_at is not None and now - membership.invite_sent_at < RESEND_INTERVAL:
            wait = RESEND_INTERVAL - (now - membership.invite_sent_at)
            minutes = max(1, int(wait.total_seconds() // 60) + (1 if wait.total_seconds() % 60 else 0))
            raise Conflict(
                f"An invitation was sent less than 10 minutes ago; try again in {minutes} min.",
                code="member.invite_too_soon",
                params={"minutes": minutes},
            )
        if channel == "email" and not can_email_invite(membership):
            raise Conflict(
                "The invitation cannot go by e-mail: the member has no e-mail address or e-mail is off.",
                field="channel",
                code="invite.no_email",
            )
        if not await queue_invite(session, org, membership, user, now, channel=channel):
            raise InviteLimited(
                "Too many SMS went to this number or from this organisation today; try again later.",
                code="invite.sms_limit",
            )
        record(
            session,
            actor,
            "membership.invite",
            "membership",
            membership.id,
            organization_id=org_id,
            new={"invite_count": membership.invite_count, "channel": channel},
        )
    return membership
