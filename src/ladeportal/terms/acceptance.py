"""An administrator accepts the current terms for the organisation; staff extend one organisation's
date with a reason. Both are recorded in the audit trail (who, when, which version, from where)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.base import utcnow
from ladeportal.db.engine import unit_of_work
from ladeportal.errors import Conflict, NotFound, ValidationFailed
from ladeportal.orgs.services import get_organization
from ladeportal.platform.audit import Actor, record
from ladeportal.terms.models import TermsAcceptance, TermsExtension, TermsVersion
from ladeportal.terms.standing import current_version_ids

MAX_REASON = 500


async def accept_terms(
    session: AsyncSession, actor: Actor, org_id: uuid.UUID, version_ids: list[uuid.UUID], ip_address: str
) -> int:
    """Accept the given current versions for the organisation; returns how many were newly accepted
    (a version accepted before, by anyone of the organisation, is left as it was)."""
    if actor.user_id is None:
        raise ValidationFailed("Only a signed-in administrator accepts terms.", code="terms.accept_person")
    if not version_ids:
        raise ValidationFailed("Nothing to accept.", code="terms.nothing_to_accept")
    async with unit_of_work(session):
        current = set(await current_version_ids(session))
        if not set(version_ids) <= current:
            # A version superseded while the page was open: the admin must read the new one.
            raise Conflict("These terms are no longer the current ones.", code="terms.superseded")
        done = set(
            await session.scalars(
                select(TermsAcceptance.version_id).where(
                    TermsAcceptance.organization_id == org_id, TermsAcceptance.version_id.in_(version_ids)
                )
            )
        )
        added = 0
        for version_id in dict.fromkeys(version_ids):
            if version_id in done:
                continue
            version = await session.get(TermsVersion, version_id)
            assert version is not None
            now = utcnow()
            session.add(
                TermsAcceptance(
                    version_id=version_id,
                    organization_id=org_id,
                    accepted_by_user_id=actor.user_id,
                    accepted_at=now,
                    ip_address=ip_address[:64],
                )
            )
            record(
                session,
                actor,
                "terms.accepted",
                "terms_version",
                version_id,
                organization_id=org_id,
                new={"kind": version.kind.value, "label": version.label, "ip_address": ip_address[:64]},
            )
            added += 1
    return added


async def extend_deadline(
    session: AsyncSession,
    actor: Actor,
    org_id: uuid.UUID,
    version_id: uuid.UUID,
    accept_by: date,
    reason: str,
) -> TermsExtension:
    """Staff give one organisation a later date for one published version."""
    reason = reason.strip()
    if not reason:
        raise ValidationFailed("Give a reason.", field="reason", code="staff.reason_required")
    if len(reason) > MAX_REASON:
        raise ValidationFailed(
            "The reason is too long.", field="reason", code="text.too_long", params={"limit": MAX_REASON}
        )
    async with unit_of_work(session):
        await get_organization(session, org_id)
        version = await session.get(TermsVersion, version_id)
        if version is None or version.published_at is None:
            raise NotFound("No such terms version.", code="terms.not_found")
        if accept_by <= version.accept_by:
            raise ValidationFailed(
                "The new date is after the version's own date.", field="accept_by", code="terms.extension_not_later"
            )
        row = await session.scalar(
            select(TermsExtension).where(
                TermsExtension.version_id == version_id, TermsExtension.organization_id == org_id
            )
        )
        old = {"accept_by": row.accept_by.isoformat()} if row else {"accept_by": version.accept_by.isoformat()}
        if row is None:
            row = TermsExtension(version_id=version_id, organization_id=org_id, accept_by=accept_by, reason=reason)
            session.add(row)
        row.accept_by, row.reason, row.set_by_user_id, row.set_at = accept_by, reason, actor.user_id, utcnow()
        record(
            session,
            actor,
            "terms.deadline_extended",
            "terms_version",
            version_id,
            organization_id=org_id,
            old=old,
            new={"accept_by": accept_by.isoformat(), "reason": reason},
        )
    return row
