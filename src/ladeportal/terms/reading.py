"""What the terms page shows an organisation: each current version in full, and who accepted it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.members.models import Membership, User
from ladeportal.terms.models import TermsAcceptance, TermsVersion
from ladeportal.terms.standing import Standing, standing


@dataclass(frozen=True)
class ShownTerms:
    version: TermsVersion
    standing: Standing
    accepted_by: str | None  # the accepting administrator's name (or number), as the organisation knows them
    accepted_at: datetime | None
    ip_address: str | None

    def title(self, language: str) -> str:
        return self.version.title_nb if language == "nb" else self.version.title_en

    def paragraphs(self, language: str) -> list[str]:
        # Plain text: blank lines separate paragraphs; the template escapes every character.
        body = self.version.body_nb if language == "nb" else self.version.body_en
        return [part.strip() for part in body.replace("\r\n", "\n").split("\n\n") if part.strip()]


async def terms_for(session: AsyncSession, org_id: uuid.UUID) -> list[ShownTerms]:
    items = await standing(session, org_id)
    if not items:
        return []
    ids = [item.version_id for item in items]
    versions = {v.id: v for v in await session.scalars(select(TermsVersion).where(TermsVersion.id.in_(ids)))}
    accepted = {
        vid: (name or phone, at, ip)
        for vid, name, phone, at, ip in (
            await session.execute(
                select(
                    TermsAcceptance.version_id,
                    Membership.name,
                    User.phone,
                    TermsAcceptance.accepted_at,
                    TermsAcceptance.ip_address,
                )
                .join(User, User.id == TermsAcceptance.accepted_by_user_id)
                .outerjoin(
                    Membership,
                    (Membership.user_id == User.id) & (Membership.organization_id == TermsAcceptance.organization_id),
                )
                .where(TermsAcceptance.organization_id == org_id, TermsAcceptance.version_id.in_(ids))
            )
        ).all()
    }
    shown = []
    for item in items:
        by, at, ip = accepted.get(item.version_id, (None, None, None))
        shown.append(ShownTerms(versions[item.version_id], item, by, at, ip))
    return shown
