"""E-mail to each organisation's administrators when terms are published, and reminders 14, 7 and 1
days before its date while the organisation has not accepted. Each notice goes once per
organisation and version: terms_notices holds what was sent, claimed by a unique key in the same
transaction as the queued e-mails, so a job that runs twice (or on two workers) sends nothing twice.
"""

from __future__ import annotations

import logging
import uuid
from datetime import date, datetime, timedelta

from sqlalchemy import Exists, exists, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.base import utcnow
from ladeportal.db.engine import Database, unit_of_work
from ladeportal.errors import ValidationFailed
from ladeportal.i18n.formatting import local_date
from ladeportal.jobs.periodic import periodic
from ladeportal.members.models import Membership, MembershipState, Role, User
from ladeportal.messaging.email_queue import queue_email
from ladeportal.messaging.email_render import LANGUAGES as EMAIL_LANGUAGES
from ladeportal.orgs.models import Organization
from ladeportal.settings import get_settings
from ladeportal.terms.models import AfterDeadline, TermsAcceptance, TermsExtension, TermsNotice, TermsVersion
from ladeportal.terms.standing import current_version_ids, local_today

log = logging.getLogger(__name__)

REMINDER_DAYS = (1, 7, 14)
TEMPLATE = "terms_notice"


def due_notice(sent_published: bool, accept_by: date, today: date) -> str | None:
    """The notice due today: the publication notice first, then the nearest reminder not yet passed
    (so a job that was down on the day sends it late rather than never); none after the date."""
    if not sent_published:
        return "published"
    left = (accept_by - today).days
    if left < 0:
        return None
    day = next((d for d in REMINDER_DAYS if left <= d), None)
    return f"remind:{day}" if day is not None else None


async def _candidates(session: AsyncSession, version: TermsVersion, today: date) -> list[uuid.UUID]:
    """Organisations that have not accepted and may be due a notice: never told, or (near the date)
    not yet given the last reminder. notify_organization decides with the organisation's own date."""

    def sent(notice: str) -> Exists:
        return exists().where(
            TermsNotice.version_id == version.id,
            TermsNotice.organization_id == Organization.id,
            TermsNotice.notice == notice,
        )

    query = select(Organization.id).where(
        Organization.archived_at.is_(None),
        ~exists().where(TermsAcceptance.version_id == version.id, TermsAcceptance.organization_id == Organization.id),
        ~sent(f"remind:{min(REMINDER_DAYS)}"),
    )
    # An extension only moves an organisation's date later, so before the version's own reminder
    # window opens, only the organisations never told can be due anything.
    if today < version.accept_by - timedelta(days=max(REMINDER_DAYS)):
        query = query.where(~sent("published"))
    return list(await session.scalars(query.order_by(Organization.id)))


async def notify_organization(
    session: AsyncSession, version_id: uuid.UUID, org_id: uuid.UUID, now: datetime
) -> str | None:
    """Queue the notice due for one organisation, once; returns its key or None."""
    async with unit_of_work(session):
        version = await session.get(TermsVersion, version_id)
        org = await session.get(Organization, org_id)
        if version is None or org is None or version.published_at is None:
            return None
        accepted = await session.scalar(
            select(TermsAcceptance.id).where(
                TermsAcceptance.version_id == version_id, TermsAcceptance.organization_id == org_id
            )
        )
        if accepted is not None:
            return None
        extension = await session.scalar(
            select(TermsExtension.accept_by).where(
                TermsExtension.version_id == version_id, TermsExtension.organization_id == org_id
            )
        )
        accept_by = extension or version.accept_by
        sent_published = (
            await session.scalar(
                select(TermsNotice.id).where(
                    TermsNotice.version_id == version_id,
                    TermsNotice.organization_id == org_id,
                    TermsNotice.notice == "published",
                )
            )
            is not None
        )
        notice = due_notice(sent_published, accept_by, local_today(org.time_zone, now))
        if notice is None:
            return None
        admins = (
            await session.execute(
                select(Membership.id, Membership.email, User.language)
                .join(User, User.id == Membership.user_id)
                .where(
                    Membership.organization_id == org_id,
                    Membership.role == Role.org_admin,
                    Membership.removed_at.is_(None),
                    Membership.state != MembershipState.blocked,
                    Membership.email.is_not(None),
                    User.anonymised_at.is_(None),
                )
                .order_by(Membership.id)
            )
        ).all()
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        claimed = await session.execute(
            insert(TermsNotice)
            .values(version_id=version_id, organization_id=org_id, notice=notice, recipients=len(admins), sent_at=now)
            .on_conflict_do_nothing(index_elements=["version_id", "organization_id", "notice"])
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return None  # sent before
        url = f"{get_settings().public_url.rstrip('/')}/portal/o/{org_id}/terms"
        for membership_id, address, language in admins:
            language = language if language in EMAIL_LANGUAGES else "nb"
            try:
                await queue_email(
                    session,
                    str(address),
                    TEMPLATE,
                    language,
                    {
                        "kind": "published" if notice == "published" else "reminder",
                        "organization_name": org.legal_name,
                        "title": version.title_nb if language == "nb" else version.title_en,
                        "label": version.label,
                        "party_name": version.party_name,
                        "accept_by": local_date(accept_by, language=language),
                        "read_only": version.after_deadline == AfterDeadline.read_only,
                        "url": url,
                    },
                    organization_id=org_id,
                    dedupe_key=f"terms:{version_id}:{org_id}:{notice}:{membership_id}",
                )
            except ValidationFailed:
                # One unusable address must not keep the organisation's other admins from being told.
                log.warning("terms notice to membership %s: e-mail address refused", membership_id)
    return notice


async def run_notices(db: Database, *, now: datetime | None = None) -> int:
    """Every current version, every organisation that may be due a notice, each in its own
    transaction; returns how many notices went out."""
    now = now or utcnow()
    async with db.session() as session:
        work: list[tuple[uuid.UUID, uuid.UUID]] = []
        for version_id in await current_version_ids(session):
            version = await session.get(TermsVersion, version_id)
            assert version is not None
            # The earliest zone any organisation is in does not matter to a day's precision here:
            # each organisation's own date is decided in notify_organization.
            for org_id in await _candidates(session, version, local_today("Europe/Oslo", now)):
                work.append((version_id, org_id))
        await session.commit()
    sent = 0
    for version_id, org_id in work:
        try:
            async with db.session() as session:
                sent += await notify_organization(session, version_id, org_id, now) is not None
        except Exception:
            log.exception("terms notice to organisation %s not sent", org_id)
    return sent


@periodic("terms.notices", every=timedelta(hours=1))
async def terms_notices_job(db: Database) -> None:
    await run_notices(db)
