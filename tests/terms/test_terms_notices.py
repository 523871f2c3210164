"""Notices of new terms to each organisation's administrators: one e-mail when published, reminders
14, 7 and 1 days before the date, each once per organisation and version however often the job
runs; none to an organisation that accepted, to finance users or to members."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.engine import Database
from ladeportal.members.models import Role
from ladeportal.members.services import MemberInput, add_member
from ladeportal.messaging.email_models import EmailDelivery
from ladeportal.platform.audit import Actor
from ladeportal.settings import get_settings
from ladeportal.terms.acceptance import accept_terms
from ladeportal.terms.models import TermsNotice
from ladeportal.terms.notices import due_notice, run_notices
from tests.factories import ACTOR, make_org, mobile_number
from tests.terms.support import published


@pytest.fixture
def email_on(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("LADEPORTAL_EMAIL_PROVIDER", "console")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_the_notice_due_on_a_day() -> None:
    accept_by = date(2027, 3, 31)
    assert due_notice(False, accept_by, date(2027, 1, 1)) == "published"
    assert due_notice(True, accept_by, date(2027, 1, 1)) is None
    assert due_notice(True, accept_by, date(2027, 3, 17)) == "remind:14"
    assert due_notice(True, accept_by, date(2027, 3, 20)) == "remind:14"  # late rather than never
    assert due_notice(True, accept_by, date(2027, 3, 24)) == "remind:7"
    assert due_notice(True, accept_by, date(2027, 3, 31)) == "remind:1"
    assert due_notice(True, accept_by, date(2027, 4, 1)) is None


async def _admin(session: AsyncSession, org_id: object, email: str | None, role: Role = Role.org_admin) -> object:
    return await add_member(
        session,
        ACTOR,
        org_id,  # type: ignore[arg-type]
        MemberInput(phone=mobile_number(), name="Kari", email=email, role=role, send_invite=False),
    )


async def _sent(session: AsyncSession) -> list[tuple[str, str]]:
    await session.commit()
    rows = await session.scalars(select(EmailDelivery).where(EmailDelivery.template == "terms_notice"))
    return sorted((d.recipient, d.subject) for d in rows)


async def test_each_notice_goes_once_to_the_admins_of_organisations_that_have_not_accepted(
    db: Database, session: AsyncSession, email_on: None
) -> None:
    a, b = await make_org(session, legal_name="Alfa Borettslag"), await make_org(session, legal_name="Beta AS")
    admin_a = await _admin(session, a.id, "styret@alfa.no")
    await _admin(session, a.id, "okonomi@alfa.no", Role.finance)
    await _admin(session, a.id, None)  # no address: nothing to send, nothing fails
    admin_b = await _admin(session, b.id, "post@beta.no")
    version = await published(session, accept_by=(date.today() + timedelta(days=30)).isoformat())

    now = datetime.now(UTC)
    assert await run_notices(db, now=now) == 2
    assert await run_notices(db, now=now) == 0  # run again: nothing twice
    sent = await _sent(session)
    assert [r for r, _ in sent] == ["post@beta.no", "styret@alfa.no"]
    assert all(subject.startswith("Nye vilkår for") for _, subject in sent)

    await accept_terms(session, Actor("user:b", user_id=admin_b.user_id), b.id, [version.id], "10.0.0.1")  # type: ignore[attr-defined]
    soon = now + timedelta(days=24)  # 6 days before the date: the 7-day reminder
    assert await run_notices(db, now=soon) == 1
    assert await run_notices(db, now=soon + timedelta(hours=1)) == 0
    sent = await _sent(session)
    reminders = [r for r, subject in sent if subject.startswith("Påminnelse")]
    assert reminders == ["styret@alfa.no"]
    notices = (await session.scalars(select(TermsNotice.notice).where(TermsNotice.organization_id == a.id))).all()
    assert sorted(notices) == ["published", "remind:7"]
    assert admin_a is not None
