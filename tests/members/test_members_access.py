"""Access decisions and the local authorization list that mirrors them."""

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.base import utcnow
from ladeportal.db.engine import Database
from ladeportal.errors import Conflict, NotFound
from ladeportal.members.access import AccessStatus, decide_access
from ladeportal.members.group_changes import GroupChanges, update_group
from ladeportal.members.groups import create_group
from ladeportal.members.local_list import SYNC_TASK, compute_local_list, local_list_version
from ladeportal.members.models import TagState
from ladeportal.members.services import block_member, remove_member
from ladeportal.members.tags import TagChanges, TagInput, add_tag, set_tag_state, update_tag
from tests.factories import ACTOR, make_charger, make_member, make_org, make_site, make_tag
from tests.members.helpers import outbox


async def test_the_rules(session: AsyncSession) -> None:
    now = utcnow()
    org = await make_org(session)
    garage, visitors = await make_site(session, org), await make_site(session, org)
    residents = await create_group(session, ACTOR, org.id, "Beboere", site_ids=[garage.id])
    member = await make_member(session, org, group_id=residents.id)
    ok = await make_tag(session, org, member)
    expired = await make_tag(session, org, member, expires_at=now - timedelta(seconds=1))
    later = await make_tag(session, org, member, expires_at=now + timedelta(days=1))
    blocked = await make_tag(session, org, member)
    await set_tag_state(session, ACTOR, org.id, blocked.id, TagState.blocked)

    async def status(uid: str, site_id: object = garage.id) -> AccessStatus:
        return (await decide_access(session, org.id, site_id, uid, now)).status  # type: ignore[arg-type]

    assert await status(ok.uid) == AccessStatus.accepted  # an invited member may charge
    assert await status(ok.uid.lower()) == AccessStatus.accepted
    assert await status(later.uid) == AccessStatus.accepted
    assert await status(expired.uid) == AccessStatus.expired
    assert await status(blocked.uid) == AccessStatus.blocked
    assert await status(ok.uid, visitors.id) == AccessStatus.invalid  # the group may not use that site
    assert await status("not a uid") == AccessStatus.invalid
    assert await status("DEADBEEF") == AccessStatus.invalid


async def test_another_organisations_tag_is_unknown_here(session: AsyncSession) -> None:
    a, b = await make_org(session), await make_org(session)
    site_b = await make_site(session, b)
    tag = await make_tag(session, a, await make_member(session, a))
    decision = await decide_access(session, b.id, site_b.id, tag.uid, utcnow())
    assert decision.status == AccessStatus.invalid and decision.tag_id is None


async def test_a_tag_cannot_be_registered_twice_or_to_another_organisations_member(session: AsyncSession) -> None:
    a, b = await make_org(session), await make_org(session)
    a_id, b_id = a.id, b.id
    member_a = await make_member(session, a)
    member_a_id = member_a.id
    await make_tag(session, a, member_a, uid="04A1B2C3")
    member_b_id = (await make_member(session, b)).id
    with pytest.raises(Conflict, match="already registered"):
        await add_tag(session, ACTOR, a_id, TagInput(uid="04:a1:b2:c3", membership_id=member_a_id))
    with pytest.raises(Conflict, match="another organisation"):
        await add_tag(session, ACTOR, b_id, TagInput(uid="04A1B2C3", membership_id=member_b_id))
    with pytest.raises(NotFound):
        await add_tag(session, ACTOR, b_id, TagInput(uid="04A1B2C4", membership_id=member_a_id))


async def test_visitor_keys_follow_their_group_and_a_charger_grant(session: AsyncSession) -> None:
    org = await make_org(session)
    garage, guest_site = await make_site(session, org), await make_site(session, org)
    guest_cp = (await make_charger(session, guest_site)).charge_point
    other_cp = (await make_charger(session, guest_site)).charge_point
    guests = await create_group(session, ACTOR, org.id, "Gjester", site_ids=[garage.id], charge_point_ids=[guest_cp.id])
    key = await add_tag(session, ACTOR, org.id, TagInput(uid="0A0B0C0D", group_id=guests.id, label="Gjest 1"))
    now = utcnow()
    assert (await decide_access(session, org.id, garage.id, key.uid, now)).status == AccessStatus.accepted
    at_guest = await decide_access(session, org.id, guest_site.id, key.uid, now, charge_point_id=guest_cp.id)
    assert at_guest.status == AccessStatus.accepted
    at_other = await decide_access(session, org.id, guest_site.id, key.uid, now, charge_point_id=other_cp.id)
    assert at_other.status == AccessStatus.invalid
    entries = await compute_local_list(session, org.id, charge_point_id=guest_cp.id, at=now)
    assert [(e.uid, e.status) for e in entries] == [("0A0B0C0D", AccessStatus.accepted)]
    entries = await compute_local_list(session, org.id, charge_point_id=other_cp.id, at=now)
    assert [(e.uid, e.status) for e in entries] == [("0A0B0C0D", AccessStatus.invalid)]


async def test_every_change_to_tags_members_or_groups_bumps_the_version_once(session: AsyncSession) -> None:
    org = await make_org(session)
    site = await make_site(session, org)
    assert await local_list_version(session, org.id) == 0
    member = await make_member(session, org)  # no tag yet: nothing for chargers to learn
    assert await local_list_version(session, org.id) == 0
    tag = await make_tag(session, org, member)
    await set_tag_state(session, ACTOR, org.id, tag.id, TagState.blocked)
    await update_tag(session, ACTOR, org.id, tag.id, TagChanges(member.id, None, "Bil 2", None))
    group = await create_group(session, ACTOR, org.id, "G")
    await update_group(session, ACTOR, org.id, group.id, GroupChanges(name="G", site_ids=[site.id]))
    await update_group(session, ACTOR, org.id, group.id, GroupChanges(name="G2", site_ids=[site.id]))  # rename
    await block_member(session, ACTOR, org.id, member.id)
    await remove_member(session, ACTOR, org.id, member.id)
    assert await local_list_version(session, org.id) == 6
    tasks = await outbox(session, SYNC_TASK)
    assert [t["dedupe_key"] for t in tasks] == [f"{SYNC_TASK}:{org.id}:{v}" for v in range(1, 7)]
    assert all(t["organization_id"] == str(org.id) for t in tasks)


async def test_a_failed_change_leaves_the_version_alone(session: AsyncSession) -> None:
    org = await make_org(session)
    org_id = org.id
    member_id = (await make_member(session, org)).id
    await add_tag(session, ACTOR, org_id, TagInput(uid="04A1B2C3", membership_id=member_id))
    with pytest.raises(Conflict):
        await add_tag(session, ACTOR, org_id, TagInput(uid="04A1B2C3", membership_id=member_id))
    assert await local_list_version(session, org_id) == 1
    assert len(await outbox(session, SYNC_TASK)) == 1


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    restrict=st.booleans(),
    member_state=st.sampled_from(["ok", "blocked", "removed"]),
    tag_blocked=st.booleans(),
    expiry_days=st.sampled_from([None, -1, 1]),
    visitor=st.booleans(),
)
async def test_the_local_list_says_what_decide_access_says(
    db: Database,
    restrict: bool,
    member_state: str,
    tag_blocked: bool,
    expiry_days: int | None,
    visitor: bool,
) -> None:
    async with db.session() as session:
        org = await make_org(session)
        here, there = await make_site(session, org), await make_site(session, org)
        group = await create_group(session, ACTOR, org.id, "G", site_ids=[there.id] if restrict else None)
        member = await make_member(session, org, group_id=group.id)
        now = utcnow()
        expires = now + timedelta(days=expiry_days) if expiry_days is not None else None
        tag = await make_tag(
            session, org, None if visitor else member, group_id=group.id if visitor else None, expires_at=expires
        )
        if tag_blocked:
            await set_tag_state(session, ACTOR, org.id, tag.id, TagState.blocked)
        if member_state == "blocked":
            await block_member(session, ACTOR, org.id, member.id)
        elif member_state == "removed":
            await remove_member(session, ACTOR, org.id, member.id)
        for site in (here, there):
            [entry] = await compute_local_list(session, org.id, site_id=site.id, at=now)
            decision = await decide_access(session, org.id, site.id, tag.uid, now)
            assert (entry.uid, entry.status, entry.expiry) == (tag.uid, decision.status, decision.expires_at)
