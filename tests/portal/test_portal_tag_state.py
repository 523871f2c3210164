"""The state a tag is shown in is the state chargers treat it by: a blocked or removed member's cards,
an expired card and a blocked card are not "Aktiv", and the page says why. The RFID list, its
filters and the member's page agree with the access decision itself."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.members.access import AccessStatus, decide_access
from ladeportal.members.groups import default_group
from ladeportal.members.models import IdTag, Membership, MembershipState, TagState
from ladeportal.members.services import block_member, remove_member
from ladeportal.members.tag_state import refusal_of, works_condition
from ladeportal.members.tags import set_tag_state
from tests.factories import ACTOR, make_member, make_site, make_tag
from tests.portal.conftest import TwoOrgs

STATES = {  # uid: what the RFID page shows
    "0A000001": ("works", "Aktiv"),
    "0A000002": ("member-blocked", "Sperret (medlemmet er sperret)"),
    "0A000003": ("tag-blocked", "Sperret"),
    "0A000004": ("tag-expired", "Utløpt"),
    "0A000005": ("member-removed", "Virker ikke (medlemmet er fjernet)"),
    "0A000006": ("works", "Aktiv"),  # a visitor key
}


def _shown(page: str) -> dict[str, tuple[str, str]]:
    rows = re.findall(r'data-uid="([0-9A-F]+)">.*?data-state="([^"]+)">([^<]+)<', page, re.S)
    return {uid: (state, text) for uid, state, text in rows}


async def _tags(session: AsyncSession, two_orgs: TwoOrgs) -> Membership:
    org = two_orgs.org_a
    ok = await make_member(session, org, name="Ok")
    blocked = await make_member(session, org, name="Blokkert")
    removed = await make_member(session, org, name="Fjernet")
    await make_tag(session, org, ok, "0A000001")
    await make_tag(session, org, blocked, "0A000002")
    await block_member(session, ACTOR, org.id, blocked.id)
    tag = await make_tag(session, org, ok, "0A000003")
    await set_tag_state(session, ACTOR, org.id, tag.id, TagState.blocked)
    await make_tag(session, org, ok, "0A000004", expires_at=datetime.now(UTC) - timedelta(days=1))
    tag = await make_tag(session, org, removed, "0A000005")
    await remove_member(session, ACTOR, org.id, removed.id)
    # Removal blocks the cards; one unblocked on the RFID page afterwards still does not work.
    await set_tag_state(session, ACTOR, org.id, tag.id, TagState.active)
    await make_tag(session, org, None, "0A000006", group_id=(await default_group(session, org.id)).id)
    return blocked


async def test_the_rfid_page_shows_the_state_chargers_use_and_why(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    await _tags(session, two_orgs)
    base = f"/portal/o/{two_orgs.org_a.id}/rfid"
    assert _shown((await two_orgs.admin_a.client.get(base)).text) == STATES
    # The filters mean the same: a blocked member's card is not among the active ones.
    active = _shown((await two_orgs.admin_a.client.get(f"{base}?state=active")).text)
    assert set(active) == {uid for uid, (state, _) in STATES.items() if state == "works"}
    blocked = _shown((await two_orgs.admin_a.client.get(f"{base}?state=blocked")).text)
    assert set(blocked) == {uid for uid, (state, _) in STATES.items() if state != "works"}


async def test_the_members_page_lists_a_blocked_members_cards_as_blocked(
    two_orgs: TwoOrgs, session: AsyncSession
) -> None:
    blocked = await _tags(session, two_orgs)
    page = (await two_orgs.admin_a.client.get(f"/portal/o/{two_orgs.org_a.id}/users/{blocked.id}")).text
    assert "Sperret (medlemmet er sperret)" in page and ">Aktiv<" not in page


async def test_the_shown_state_and_the_filter_agree_with_the_access_decision(
    two_orgs: TwoOrgs, session: AsyncSession
) -> None:
    await _tags(session, two_orgs)
    org = two_orgs.org_a
    site = await make_site(session, org)
    now = datetime.now(UTC)
    rows = (
        await session.execute(
            select(IdTag, Membership.state, Membership.removed_at)
            .outerjoin(Membership, Membership.id == IdTag.membership_id)
            .where(IdTag.organization_id == org.id)
        )
    ).all()
    working = set(
        (
            await session.scalars(
                select(IdTag.uid)
                .outerjoin(Membership, Membership.id == IdTag.membership_id)
                .where(IdTag.organization_id == org.id, works_condition(now))
            )
        ).all()
    )
    assert len(rows) == len(STATES)
    for tag, state, removed_at in rows:
        refusal = refusal_of(tag, state, removed_at is not None, now)
        decision = await decide_access(session, org.id, site.id, tag.uid, now)
        assert (decision.status == AccessStatus.accepted) == (refusal is None) == (tag.uid in working), tag.uid
        if refusal is not None:
            assert decision.reason == refusal.value, tag.uid
    assert MembershipState.blocked in {state for _, state, _ in rows}
