"""Where one organisation stands with the current terms: for each kind, the newest published version,
whether the organisation accepted it, and its "accept by" date (a staff extension wins).

Asked on every portal and API request of the organisation, so it is one query over the published
versions (a handful of rows) joined to this organisation's acceptance and extension; the bodies are
not loaded."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.base import utcnow
from ladeportal.terms.models import AfterDeadline, TermsAcceptance, TermsExtension, TermsKind, TermsVersion


@dataclass(frozen=True)
class Standing:
    version_id: uuid.UUID
    kind: TermsKind
    label: str
    accept_by: date
    after_deadline: AfterDeadline
    accepted_at: datetime | None

    @property
    def accepted(self) -> bool:
        return self.accepted_at is not None

    def overdue(self, today: date) -> bool:
        return not self.accepted and today > self.accept_by

    def locks(self, today: date) -> bool:
        """Whether this version makes the organisation's portal read-only on `today`."""
        return self.after_deadline == AfterDeadline.read_only and self.overdue(today)


def local_today(time_zone: str, now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(ZoneInfo(time_zone)).date()


async def standing(session: AsyncSession, org_id: uuid.UUID) -> list[Standing]:
    """The current version of each kind with this organisation's acceptance, newest first."""
    rows = await session.execute(
        select(
            TermsVersion.id,
            TermsVersion.kind,
            TermsVersion.label,
            TermsVersion.accept_by,
            TermsVersion.after_deadline,
            TermsAcceptance.accepted_at,
            TermsExtension.accept_by,
        )
        .outerjoin(
            TermsAcceptance,
            and_(TermsAcceptance.version_id == TermsVersion.id, TermsAcceptance.organization_id == org_id),
        )
        .outerjoin(
            TermsExtension,
            and_(TermsExtension.version_id == TermsVersion.id, TermsExtension.organization_id == org_id),
        )
        .where(TermsVersion.published_at.is_not(None))
        .order_by(TermsVersion.published_at.desc())
    )
    current: dict[TermsKind, Standing] = {}
    for vid, kind, label, accept_by, after, accepted_at, extended in rows.all():
        if kind not in current:  # an older version of a kind is superseded by the newer one
            current[kind] = Standing(vid, kind, label, extended or accept_by, after, accepted_at)
    return list(current.values())


def pending(items: list[Standing]) -> list[Standing]:
    return [item for item in items if not item.accepted]


def locked(items: list[Standing], today: date) -> bool:
    return any(item.locks(today) for item in items)


async def current_version_ids(session: AsyncSession) -> list[uuid.UUID]:
    """The newest published version of each kind (what every organisation must have accepted)."""
    rows = await session.execute(
        select(TermsVersion.id, TermsVersion.kind)
        .where(TermsVersion.published_at.is_not(None))
        .order_by(TermsVersion.published_at.desc())
    )
    seen: dict[TermsKind, uuid.UUID] = {}
    for vid, kind in rows.all():
        seen.setdefault(kind, vid)
    return list(seen.values())
