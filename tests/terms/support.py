"""Terms versions for the tests, written and published through the domain functions."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.base import utcnow
from ladeportal.terms.models import TermsVersion
from ladeportal.terms.versions import TermsInput, create_draft, publish
from tests.factories import ACTOR


def terms_input(**changes: str) -> TermsInput:
    today = utcnow().date()
    values = {
        "kind": "service",
        "label": "2027-1",
        "title_nb": "Vilkår for bruk av Ladeportal",
        "title_en": "Ladeportal terms of service",
        "body_nb": "1. Avtalen\n\nLadeportal AS leverer portalen.\n\n<script>alert(1)</script>",
        "body_en": "1. The agreement\n\nLadeportal AS provides the portal.",
        "party_name": "Ladeportal AS",
        "party_org_number": "923 609 016",
        "effective_on": (today + timedelta(days=30)).isoformat(),
        "accept_by": (today + timedelta(days=30)).isoformat(),
        "after_deadline": "remind",
        **changes,
    }
    return TermsInput(**values)


async def published(session: AsyncSession, **changes: str) -> TermsVersion:
    version = await create_draft(session, ACTOR, terms_input(**changes))
    return await publish(session, ACTOR, version.id)


async def published_overdue(session: AsyncSession, after: str = "read_only", label: str = "2027-1") -> TermsVersion:
    """A version whose date passed yesterday (published while it was still ahead)."""
    version = await published(session, after_deadline=after, label=label)
    version.accept_by = date.today() - timedelta(days=2)
    version.effective_on = version.accept_by
    await session.commit()
    return version


async def accept_demo_terms(session: AsyncSession) -> None:
    """The demo cooperative's admin accepts its current terms (for tests about other pages)."""
    from sqlalchemy import select

    from ladeportal.demo import ADMIN_PHONE, DEMO_ORG_NUMBER
    from ladeportal.members.models import User
    from ladeportal.orgs.models import Organization
    from ladeportal.platform.audit import Actor
    from ladeportal.terms.acceptance import accept_terms
    from ladeportal.terms.standing import current_version_ids

    org_id = await session.scalar(select(Organization.id).where(Organization.org_number == DEMO_ORG_NUMBER))
    user_id = await session.scalar(select(User.id).where(User.phone == ADMIN_PHONE))
    assert org_id is not None and user_id is not None
    await accept_terms(
        session, Actor("user:demo", user_id=user_id), org_id, await current_version_ids(session), "127.0.0.1"
    )
