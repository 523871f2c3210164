"""SMS invitations: sent when a person is added, resent by an admin at most once per 10 minutes.

Every invitation also passes the organisation's SMS limits (messaging/org_limits.py), keyed on the
organisation and the number, so removing and re-adding a person sends no further SMS. The text is
the platform's, with the organisation's name quoted, shortened and stripped of anything that could
pass for a link or a sender (a name like "DNB: your card is blocked, call ..." stays a quoted name).
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.base import utcnow
from ladeportal.db.engine import unit_of_work
from ladeportal.errors import Conflict
from ladeportal.jobs.models import OutboxTask, TaskState
from ladeportal.members.lookup import get_membership
from ladeportal.members.models import Membership, MembershipState, Role, User
from ladeportal.messaging.org_limits import admit_org_sms
from ladeportal.messaging.queue import SMS_TASK, queue_sms
from ladeportal.orgs.models import Organization
from ladeportal.orgs.services import get_organization
from ladeportal.platform.audit import Actor, record
from ladeportal.settings import get_settings

RESEND_INTERVAL = timedelta(minutes=10)

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


def org_name_for_sms(name: str) -> str:
    cleaned = " ".join(_NOT_IN_NAME.sub(" ", name).split())
    if len(cleaned) > ORG_NAME_IN_SMS:
        cleaned = cleaned[: ORG_NAME_IN_SMS - 1].rstrip() + "…"
    return cleaned or "?"


async def queue_invite_sms_many(
    session: AsyncSession, org: Organization, invites: list[tuple[uuid.UUID, str, str, int]]
) -> None:
    """Many invitations as one executemany: the same outbox rows queue_sms writes (kind, payload and
    dedupe key alike), because 10,000 single inserts would dominate a bulk import. Belongs in
    jobs.outbox as enqueue_many once that exists. Numbers over the organisation's SMS limits get none
    (their membership rows still say invited; an admin can resend later)."""
    now = utcnow()
    admitted = await admit_org_sms(session, org.id, [phone for _, phone, _, _ in invites], "invite", now)
    invites = [invite for invite, ok in zip(invites, admitted, strict=True) if ok]
    rows = [
        {
            "kind": SMS_TASK,
            "payload": {"to": phone, "text": invite_text(org.legal_name, language), "purpose": "invite"},
            "dedupe_key": f"invite:{membership_id}:{count}",
            "run_after": now,
            "max_attempts": 8,
            "state": TaskState.pending,
            "attempts": 0,
            "created_at": now,
        }
        for membership_id, phone, language, count in invites
    ]
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(OutboxTask).on_conflict_do_nothing(index_elements=["dedupe_key"])
    for start in range(0, len(rows), 1000):
        await session.execute(stmt, rows[start : start + 1000])


def invite_text(org_name: str, language: str, *, portal: bool = False) -> str:
    base = get_settings().public_url.rstrip("/")
    url = base + "/portal/login" if portal else base
    texts = _PORTAL_TEXTS if portal else _TEXTS
    return texts.get(language, texts["nb"]).format(org=org_name_for_sms(org_name), url=url)


async def queue_invite(
    session: AsyncSession, org: Organization, membership: Membership, user: User, now: datetime | None = None
) -> bool:
    """Queue the invitation inside the caller's transaction and note when it went out. False (and
    nothing queued or noted) when the number has no phone or the organisation's SMS limits say no."""
    if not user.phone:
        return False
    now = now or utcnow()
    [admitted] = await admit_org_sms(session, org.id, [user.phone], "invite", now)
    if not admitted:
        return False
    membership.invite_count = (membership.invite_count or 0) + 1
    membership.invited_at = membership.invited_at or now
    membership.invite_sent_at = now
    await queue_invite_sms(
        session,
        org,
        membership.id,
        user.phone,
        user.language,
        membership.invite_count,
        portal=membership.role != Role.member,
    )
    return True


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
    session: AsyncSession, actor: Actor, org_id: uuid.UUID, membership_id: uuid.UUID, now: datetime | None = None
) -> Membership:
    now = now or utcnow()
    async with unit_of_work(session):
        org = await get_organization(session, org_id)
        membership = await get_membership(session, org_id, membership_id)
        user = membership.user
        if membership.state == MembershipState.blocked:
            raise Conflict("The member is blocked; unblock them before sending an invitation.")
        # This organisation's view only: a login elsewhere must not be revealed (nor block the invite).
        if membership.activated_at is not None:
            raise Conflict("The member has already logged in.")
        if membership.invite_sent_at is not None and now - membership.invite_sent_at < RESEND_INTERVAL:
            wait = RESEND_INTERVAL - (now - membership.invite_sent_at)
            minutes = max(1, int(wait.total_seconds() // 60) + (1 if wait.total_seconds() % 60 else 0))
            raise Conflict(
                f"An invitation was sent less than 10 minutes ago; try again in {minutes} min.",
                code="member.invite_too_soon",
                params={"minutes": minutes},
            )
        if not await queue_invite(session, org, membership, user, now):
            raise InviteLimited("Too many SMS went to this number or from this organisation today; try again later.")
        record(
            session,
            actor,
            "membership.invite",
            "membership",
            membership.id,
            organization_id=org_id,
            new={"invite_count": membership.invite_count},
        )
    return membership
