"""A person across organisations: removing a member ends one membership only, and anonymising is an
explicit platform-staff operation that refuses while anything still needs the person identifiable."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from typer.testing import CliRunner

from ladeportal.cli.main import app as cli
from ladeportal.db.base import utcnow
from ladeportal.db.engine import Database
from ladeportal.errors import Conflict, PermissionDenied
from ladeportal.members import persons
from ladeportal.members.models import IdTag, Membership, MembershipState, TagState, User
from ladeportal.members.services import MemberInput, add_member, get_membership, make_operator, remove_member
from ladeportal.platform.audit import Actor
from ladeportal.platform.models import OperatorAccount
from tests.factories import ACTOR, make_org, make_tag

PHONE = "+4791234567"


async def _user(session: AsyncSession, user_id: uuid.UUID) -> User:
    await session.commit()
    session.expunge_all()
    user = await session.get(User, user_id)
    assert user is not None
    return user


async def test_removing_from_one_organisation_leaves_the_person_and_the_other_membership(
    session: AsyncSession,
) -> None:
    a, b = await make_org(session), await make_org(session)
    in_a = await add_member(
        session,
        ACTOR,
        a.id,
        MemberInput(phone=PHONE, name="Anna", email="anna@a.no", notes="A-notat", parking_spot="A1"),
    )
    tag_a = await make_tag(session, a, in_a)
    in_b = await add_member(
        session, ACTOR, b.id, MemberInput(phone=PHONE, name="Bjørn", email="b@b.no", notes="B-notat", parking_spot="B7")
    )
    tag_b = await make_tag(session, b, in_b)
    await remove_member(session, ACTOR, b.id, in_b.id)

    user = await _user(session, in_a.user_id)
    assert (user.phone, user.anonymised_at) == (PHONE, None)
    kept = await get_membership(session, a.id, in_a.id)
    assert (kept.name, kept.email, kept.notes, kept.parking_spot, kept.removed_at) == (
        "Anna",
        "anna@a.no",
        "A-notat",
        "A1",
        None,
    )
    assert (await session.get(IdTag, tag_a.id)).state == TagState.active  # type: ignore[union-attr]
    removed = await session.get(Membership, in_b.id)
    assert removed is not None and removed.removed_at is not None and removed.state == MembershipState.blocked
    # B's data about the person is gone with the membership; only the name its records need stays.
    assert (removed.email, removed.notes, removed.parking_spot) == (None, None, None)
    assert (await session.get(IdTag, tag_b.id)).state == TagState.blocked  # type: ignore[union-attr]


async def test_removing_the_last_membership_does_not_anonymise(session: AsyncSession) -> None:
    org = await make_org(session)
    m = await add_member(session, ACTOR, org.id, MemberInput(phone=PHONE, name="Anna"))
    await remove_member(session, ACTOR, org.id, m.id)
    user = await _user(session, m.user_id)
    assert (user.phone, user.anonymised_at) == (PHONE, None)


async def test_a_staff_number_added_and_removed_leaves_the_staff_account_intact(session: AsyncSession) -> None:
    account = await make_operator(session, ACTOR, PHONE, "Plattform Drift")
    staff = await session.get_one(User, account.user_id)
    staff.last_login_at = seen = utcnow()
    await session.commit()
    org = await make_org(session)
    m = await add_member(
        session, ACTOR, org.id, MemberInput(phone="912 34 567", name="Overtatt", email="x@evil.example")
    )
    assert m.user_id == account.user_id
    await remove_member(session, ACTOR, org.id, m.id)
    user = await _user(session, account.user_id)
    assert (user.phone, user.name, user.email, user.last_login_at, user.anonymised_at) == (
        PHONE,
        "Plattform Drift",
        None,
        seen,
        None,
    )
    assert await session.get(OperatorAccount, account.id) is not None


async def test_anonymising_refuses_while_a_membership_or_staff_role_remains(session: AsyncSession) -> None:
    org_id = (await make_org(session)).id
    m = await add_member(session, ACTOR, org_id, MemberInput(phone=PHONE, name="Anna"))
    m_id, user_id = m.id, m.user_id
    account_id = (await make_operator(session, ACTOR, PHONE)).id
    with pytest.raises(Conflict, match="member of 1 organisation") as refused:
        await persons.anonymise_person(session, ACTOR, user_id)
    assert "platform staff" in refused.value.message
    await remove_member(session, ACTOR, org_id, m_id)
    with pytest.raises(Conflict, match="platform staff"):
        await persons.anonymise_person(session, ACTOR, user_id)
    assert (await _user(session, user_id)).phone == PHONE
    (await session.get_one(OperatorAccount, account_id)).active = False
    await session.commit()
    await persons.anonymise_person(session, ACTOR, user_id)
    user = await _user(session, user_id)
    assert (user.phone, user.name, user.email) == (None, None, None) and user.anonymised_at is not None
    # Every organisation's record of the person goes too; the rows stay for the accounts.
    old = await session.get_one(Membership, m_id)
    assert (old.name, old.email, old.notes, old.parking_spot) == (None, None, None, None)
    with pytest.raises(Conflict, match="already anonymised"):
        await persons.anonymise_person(session, ACTOR, user_id)


async def test_open_billing_keeps_the_person(session: AsyncSession, monkeypatch: pytest.MonkeyPatch) -> None:
    org = await make_org(session)
    m = await add_member(session, ACTOR, org.id, MemberInput(phone=PHONE))
    user_id = m.user_id
    await remove_member(session, ACTOR, org.id, m.id)

    async def unpaid(session: AsyncSession, user_id: uuid.UUID) -> list[str]:
        return ["1 unpaid invoice"]

    monkeypatch.setattr(persons, "open_billing", unpaid)
    with pytest.raises(Conflict, match="1 unpaid invoice"):
        await persons.anonymise_person(session, ACTOR, user_id)
    assert (await _user(session, user_id)).anonymised_at is None


async def test_only_platform_staff_anonymise(session: AsyncSession) -> None:
    org = await make_org(session)
    m = await add_member(session, ACTOR, org.id, MemberInput(phone=PHONE))
    user_id = m.user_id
    await remove_member(session, ACTOR, org.id, m.id)
    org_admin = Actor(label="user:+4790000000", user_id=uuid.uuid4())
    with pytest.raises(PermissionDenied):
        await persons.anonymise_person(session, org_admin, user_id)
    assert (await _user(session, user_id)).phone == PHONE


async def test_an_anonymised_number_can_join_again_as_a_new_person(session: AsyncSession) -> None:
    org = await make_org(session)
    m = await add_member(session, ACTOR, org.id, MemberInput(phone=PHONE, name="Anna"))
    await remove_member(session, ACTOR, org.id, m.id)
    await persons.anonymise_person(session, ACTOR, m.user_id)
    again = await add_member(session, ACTOR, org.id, MemberInput(phone=PHONE, name="Ny"))
    assert again.user_id != m.user_id


async def test_the_staff_command_anonymises_only_when_nothing_keeps_the_person(
    db: Database, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    @asynccontextmanager
    async def on_test_database() -> AsyncIterator[AsyncSession]:
        database = Database(db.url)
        try:
            async with database.session() as s:
                yield s
        finally:
            await database.dispose()

    monkeypatch.setattr("ladeportal.cli.admin_commands.command_session", on_test_database)

    def command(*args: str) -> tuple[int, str]:
        # In a thread: the command runs its own event loop, as it does from a shell.
        result = CliRunner().invoke(cli, ["user", "anonymise", *args])
        return result.exit_code, result.output

    org_id = (await make_org(session)).id
    m = await add_member(session, ACTOR, org_id, MemberInput(phone=PHONE, name="Anna"))
    m_id, user_id = m.id, m.user_id
    code, output = await asyncio.to_thread(command, "912 34 567", "--yes")
    assert code == 1 and "member of 1 organisation" in output
    code, output = await asyncio.to_thread(command, "912 34 567")
    assert code == 1 and "--yes" in output
    await remove_member(session, ACTOR, org_id, m_id)
    assert (await _user(session, user_id)).phone == PHONE
    code, output = await asyncio.to_thread(command, "912 34 567", "--yes")
    assert code == 0, output
    assert (await _user(session, user_id)).anonymised_at is not None
    assert await session.scalar(select(User.id).where(User.phone == PHONE)) is None
