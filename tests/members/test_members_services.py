"""Adding, inviting, editing, blocking and removing members."""

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.base import utcnow
from ladeportal.errors import Conflict, NotFound, ValidationFailed
from ladeportal.members.access import AccessStatus, decide_access
from ladeportal.members.groups import create_group
from ladeportal.members.invites import resend_invite
from ladeportal.members.local_list import SYNC_TASK, local_list_version
from ladeportal.members.member_edit import MemberChanges, edit_member
from ladeportal.members.models import IdTag, MembershipState, Role, TagState, User
from ladeportal.members.services import (
    MemberInput,
    add_member,
    block_member,
    get_membership,
    remove_member,
    set_role,
    unblock_member,
)
from ladeportal.orgs.models import Organization
from ladeportal.platform.models import AuditEvent
from ladeportal.settings import get_settings
from tests.factories import ACTOR, make_member, make_org, make_site, make_tag
from tests.members.helpers import outbox


async def test_a_member_added_by_number_alone_gets_an_sms_invitation(session: AsyncSession) -> None:
    org = await make_org(session)
    m = await add_member(session, ACTOR, org.id, MemberInput(phone="912 34 567"))
    m = await get_membership(session, org.id, m.id)
    assert m.user.phone == "+4791234567" and m.user.name is None
    assert m.state == MembershipState.invited and m.invite_count == 1 and m.invited_at is not None
    [sms] = await outbox(session, "sms.send")
    assert sms["to"] == "+4791234567" and sms["purpose"] == "invite"
    # A driver has no portal yet: no login link that would lead nowhere.
    assert "/login" not in sms["text"] and "brikke" in sms["text"]
    assert org.legal_name in sms["text"]


async def test_an_administrator_is_invited_with_the_portal_login_link(session: AsyncSession) -> None:
    org = await make_org(session)
    await add_member(session, ACTOR, org.id, MemberInput(phone="912 34 567", role=Role.org_admin))
    [sms] = await outbox(session, "sms.send")
    assert get_settings().public_url.rstrip("/") + "/portal/login" in sms["text"]


async def test_an_existing_person_joins_instead_of_being_duplicated(session: AsyncSession) -> None:
    a, b = await make_org(session), await make_org(session)
    first = await add_member(session, ACTOR, a.id, MemberInput(phone="+4791234567", name="Kari"))
    second = await add_member(session, ACTOR, b.id, MemberInput(phone="0047 912 34 567", name="Other"))
    assert first.user_id == second.user_id
    # Each organisation keeps the name it typed; the person's own record gets neither.
    assert ((await get_membership(session, a.id, first.id)).name, second.name) == ("Kari", "Other")
    assert (await session.get(User, first.user_id)).name is None  # type: ignore[union-attr]
    assert len((await session.scalars(select(User))).all()) == 1


async def test_a_duplicate_number_in_the_same_organisation_is_a_conflict(session: AsyncSession) -> None:
    org_id = (await make_org(session)).id
    await add_member(session, ACTOR, org_id, MemberInput(phone="91234567"))
    with pytest.raises(Conflict, match="already a member"):
        await add_member(session, ACTOR, org_id, MemberInput(phone="+47 912 34 567"))


@pytest.mark.parametrize("phone", ["", "12", "22334455", "not a number"])
async def test_an_invalid_number_adds_nothing(session: AsyncSession, phone: str) -> None:
    org_id = (await make_org(session)).id
    with pytest.raises(ValidationFailed):
        await add_member(session, ACTOR, org_id, MemberInput(phone=phone))
    assert (await session.scalars(select(User))).all() == []


async def test_a_swedish_organisation_reads_numbers_as_swedish(session: AsyncSession) -> None:
    org = await make_org(session, country="SE", org_number="5560360793")
    m = await add_member(session, ACTOR, org.id, MemberInput(phone="070-123 45 67"))
    assert (await get_membership(session, org.id, m.id)).user.phone == "+46701234567"
    assert (await get_membership(session, org.id, m.id)).user.language == "sv"


async def test_resending_an_invitation_is_rate_limited(session: AsyncSession) -> None:
    org_id, m_id = (await make_org(session)).id, None
    m_id = (await make_member(session, await session.get_one(Organization, org_id))).id
    with pytest.raises(Conflict, match="10 minutes"):
        await resend_invite(session, ACTOR, org_id, m_id)
    later = utcnow() + timedelta(minutes=10, seconds=1)
    m = await resend_invite(session, ACTOR, org_id, m_id, now=later)
    assert m.invite_count == 2
    with pytest.raises(Conflict, match="try again in 10 min"):
        await resend_invite(session, ACTOR, org_id, m_id, now=later + timedelta(seconds=5))
    sms = await outbox(session, "sms.send")
    assert [s["dedupe_key"] for s in sms] == [f"invite:{m_id}:1", f"invite:{m_id}:2"]


async def test_no_resend_to_someone_who_logged_in_or_is_blocked(session: AsyncSession) -> None:
    org = await make_org(session)
    org_id, m_id = org.id, (await make_member(session, org)).id
    later = utcnow() + timedelta(hours=1)
    await block_member(session, ACTOR, org_id, m_id)
    with pytest.raises(Conflict, match="blocked"):
        await resend_invite(session, ACTOR, org_id, m_id, now=later)
    m = await unblock_member(session, ACTOR, org_id, m_id)
    m.activated_at = utcnow()
    await session.commit()
    with pytest.raises(Conflict, match="logged in"):
        await resend_invite(session, ACTOR, org_id, m_id, now=later)


async def test_a_login_elsewhere_is_not_revealed_by_a_resend(session: AsyncSession) -> None:
    """The person signed in through another organisation: this one may still invite, and learns nothing."""
    org = await make_org(session)
    org_id, m_id = org.id, (await make_member(session, org)).id
    m = await get_membership(session, org_id, m_id)
    m.user.last_login_at = utcnow()
    await session.commit()
    resent = await resend_invite(session, ACTOR, org_id, m_id, now=utcnow() + timedelta(hours=1))
    assert resent.invite_count == 2


async def test_edit_changes_only_the_given_fields(session: AsyncSession) -> None:
    org = await make_org(session)
    group = await create_group(session, ACTOR, org.id, "Beboere")
    m = await add_member(
        session, ACTOR, org.id, MemberInput(phone="91234567", name="Kari", email="k@x.no", parking_spot="P1")
    )
    await edit_member(
        session,
        ACTOR,
        org.id,
        m.id,
        MemberChanges(name="Kari Nordmann", group_id=group.id, role="finance", notes="Har nøkkel"),
    )
    m = await get_membership(session, org.id, m.id)
    assert (m.name, m.email, m.notes, m.parking_spot, m.role, m.group_id) == (
        "Kari Nordmann",
        "k@x.no",
        "Har nøkkel",
        "P1",
        Role.finance,
        group.id,
    )
    assert (m.user.name, m.user.email, m.user.language) == (None, None, "nb")
    await edit_member(session, ACTOR, org.id, m.id, MemberChanges(email="", parking_spot=None, group_id=None))
    m = await get_membership(session, org.id, m.id)
    assert (m.email, m.parking_spot, m.group_id, m.notes) == (None, None, None, "Har nøkkel")
    events = (await session.scalars(select(AuditEvent).where(AuditEvent.action == "membership.update"))).all()
    assert len(events) == 2
    # Which personal fields changed is audited, not their values (the trail outlives anonymisation).
    assert [e.new_values["changed"] for e in events] == [["name", "notes"], ["email"]]  # type: ignore[index]
    trail = str([(e.old_values, e.new_values) for e in (await session.scalars(select(AuditEvent))).all()])
    assert "Kari" not in trail and "k@x.no" not in trail and "nøkkel" not in trail


@pytest.mark.parametrize(
    "changes",
    [
        MemberChanges(email="no-at-sign"),
        MemberChanges(role="king"),
        MemberChanges(email="a@" + "b" * 253),
        MemberChanges(parking_spot="x" * 41),
        MemberChanges(name="x" * 201),
        MemberChanges(notes="x" * 1001),
    ],
)
async def test_bad_edits_are_rejected(session: AsyncSession, changes: MemberChanges) -> None:
    org = await make_org(session)
    org_id, m_id = org.id, (await make_member(session, org)).id
    with pytest.raises(ValidationFailed):
        await edit_member(session, ACTOR, org_id, m_id, changes)
    assert (await get_membership(session, org_id, m_id)).name == "Test Person"


async def test_edit_cannot_reach_another_organisations_member_or_group(session: AsyncSession) -> None:
    a, b = await make_org(session), await make_org(session)
    a_id, b_id = a.id, b.id
    m_id = (await make_member(session, a)).id
    other_group_id = (await create_group(session, ACTOR, b_id, "Theirs")).id
    with pytest.raises(NotFound):
        await edit_member(session, ACTOR, b_id, m_id, MemberChanges(name="x"))
    with pytest.raises(NotFound):
        await edit_member(session, ACTOR, a_id, m_id, MemberChanges(group_id=other_group_id))
    m = await get_membership(session, a_id, m_id)
    assert (m.name, m.group_id) == ("Test Person", None)


async def test_blocking_stops_the_members_tags_at_once_and_bumps_the_local_list(session: AsyncSession) -> None:
    org = await make_org(session)
    site = await make_site(session, org)
    m = await make_member(session, org)
    tag = await make_tag(session, org, m)
    version = await local_list_version(session, org.id)
    await block_member(session, ACTOR, org.id, m.id)
    assert (await decide_access(session, org.id, site.id, tag.uid, utcnow())).status == AccessStatus.blocked
    assert await local_list_version(session, org.id) == version + 1
    await unblock_member(session, ACTOR, org.id, m.id)
    assert (await decide_access(session, org.id, site.id, tag.uid, utcnow())).status == AccessStatus.accepted
    assert len(await outbox(session, SYNC_TASK)) == version + 2


async def test_removal_retires_tags_and_the_orgs_data_but_not_the_person(session: AsyncSession) -> None:
    org = await make_org(session)
    m = await add_member(
        session,
        ACTOR,
        org.id,
        MemberInput(phone="+4791234567", name="Kari", email="k@x.no", notes="Styremedlem", parking_spot="P1"),
    )
    tag = await make_tag(session, org, m)
    await remove_member(session, ACTOR, org.id, m.id)
    user = await session.get(User, m.user_id)
    assert user is not None and (user.phone, user.anonymised_at) == ("+4791234567", None)
    assert (m.name, m.email, m.notes, m.parking_spot, m.state) == ("Kari", None, None, None, MembershipState.blocked)
    assert (await session.get(IdTag, tag.id)).state == TagState.blocked  # type: ignore[union-attr]
    with pytest.raises(NotFound):
        await get_membership(session, org.id, m.id)
    # The number can come back: a fresh membership with only what is typed now; old tags stay blocked.
    again = await add_member(session, ACTOR, org.id, MemberInput(phone="91234567", name="Kari N."))
    again = await get_membership(session, org.id, again.id)
    assert (again.name, again.email, again.state, again.activated_at) == (
        "Kari N.",
        None,
        MembershipState.invited,
        None,
    )
    assert (await session.get(IdTag, tag.id)).state == TagState.blocked  # type: ignore[union-attr]


async def test_the_last_administrator_cannot_be_demoted_blocked_or_removed(session: AsyncSession) -> None:
    org = await make_org(session)
    org_id = org.id
    admin_id = (await make_member(session, org, role=Role.org_admin)).id
    member_id = (await make_member(session, org)).id
    for change in (
        lambda: set_role(session, ACTOR, org_id, admin_id, Role.member),
        lambda: edit_member(session, ACTOR, org_id, admin_id, MemberChanges(role=Role.finance)),
        lambda: block_member(session, ACTOR, org_id, admin_id),
        lambda: remove_member(session, ACTOR, org_id, admin_id),
    ):
        with pytest.raises(Conflict, match="at least one administrator"):
            await change()
    admin = await get_membership(session, org_id, admin_id)
    assert admin.role == Role.org_admin and admin.state != MembershipState.blocked and admin.removed_at is None
    # Members without the role are unaffected, and with a second administrator the first may step down.
    await block_member(session, ACTOR, org_id, member_id)
    await set_role(session, ACTOR, org_id, member_id, Role.org_admin)
    await unblock_member(session, ACTOR, org_id, member_id)
    await set_role(session, ACTOR, org_id, admin_id, Role.member)
    assert (await get_membership(session, org_id, admin_id)).role == Role.member
