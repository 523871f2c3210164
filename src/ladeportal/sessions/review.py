"""An administrator marks a session's flagged meter values as reviewed: the flags stay on the session
(they are what the charger reported), but the session no longer needs anyone's attention, so its alert
is resolved. The flags reviewed are recorded; one the charger adds afterwards flags the session again."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.base import utcnow
from ladeportal.db.engine import unit_of_work
from ladeportal.errors import Conflict, NotFound
from ladeportal.members.models import Membership
from ladeportal.platform.audit import Actor, record
from ladeportal.sessions.models import ChargingSession, SessionReview


@dataclass(frozen=True, slots=True)
class ReviewState:
    """Whether the session's current flags are reviewed, and by whom (a name, or None when unknown)."""

    flagged: bool
    reviewed: bool
    reviewed_at: datetime | None = None
    reviewed_by: str | None = None


def is_reviewed(anomalies: list[str], reviewed: list[str] | None) -> bool:
    """Every flag the session has now was among those reviewed."""
    return reviewed is not None and set(anomalies) <= set(reviewed)


async def review_state(session: AsyncSession, org_id: uuid.UUID, session_id: int) -> ReviewState:
    row = (
        await session.execute(
            select(ChargingSession.anomalies, SessionReview.anomalies, SessionReview.reviewed_at, Membership.name)
            .outerjoin(SessionReview, SessionReview.session_id == ChargingSession.id)
            # The reviewer as this organisation knows them: their membership's name, never the person's own.
            .outerjoin(
                Membership,
                (Membership.user_id == SessionReview.reviewed_by) & (Membership.organization_id == org_id),
            )
            .where(ChargingSession.id == session_id, ChargingSession.organization_id == org_id)
        )
    ).one_or_none()
    if row is None:
        raise NotFound("No such session.", code="session.not_found")
    anomalies, reviewed, reviewed_at, name = row
    if not anomalies:
        return ReviewState(flagged=False, reviewed=False)
    if not is_reviewed(anomalies, reviewed):
        return ReviewState(flagged=True, reviewed=False)
    return ReviewState(flagged=True, reviewed=True, reviewed_at=reviewed_at, reviewed_by=name)


async def mark_reviewed(
    session: AsyncSession, actor: Actor, org_id: uuid.UUID, session_id: int, *, now: datetime | None = None
) -> SessionReview:
    """Record that `actor` reviewed the session's current flags (Conflict when there is nothing new to review)."""
    async with unit_of_work(session):
        cs = await session.scalar(
            select(ChargingSession)
            .where(ChargingSession.id == session_id, ChargingSession.organization_id == org_id)
            .with_for_update()
        )
        if cs is None:
            raise NotFound("No such session.", code="session.not_found")
        anomalies = sorted(set(cs.anomalies or []))
        if not anomalies:
            raise Conflict("The session has no flagged meter values.", code="session.not_flagged")
        review = await session.get(SessionReview, session_id)
        if review is not None and is_reviewed(anomalies, review.anomalies):
            raise Conflict("The session's meter values are already reviewed.", code="session.already_reviewed")
        old = None if review is None else {"anomalies": review.anomalies}
        if review is None:
            review = SessionReview(session_id=session_id, organization_id=org_id)
            session.add(review)
        review.anomalies = anomalies
        review.reviewed_at = now or utcnow()
        review.reviewed_by = actor.user_id
        record(
            session,
            actor,
            "session.reviewed",
            "charging_session",
            str(session_id),
            organization_id=org_id,
            old=old,
            new={"anomalies": anomalies},
        )
    return review
