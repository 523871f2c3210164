"""Searching and filtering members, paged."""

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.base import utcnow
from ladeportal.errors import ValidationFailed
from ladeportal.members.groups import create_group, default_group
from ladeportal.members.search import MemberFilter, MemberQuery, search_members
from ladeportal.members.services import block_member, get_membership
from tests.factories import ACTOR, make_member, make_org, make_tag


async def _phones(session: AsyncSession, org_id: object, **query: object) -> list[str]:
    page = await search_members(session, org_id, MemberQuery(**query))  # type: ignore[arg-type]
    return [row.membership.user.phone or "" for row in page.items]


async def test_search_by_name_number_tag_group_and_state(session: AsyncSession) -> None:
    org = await make_org(session)
    group = await create_group(session, ACTOR, org.id, "Beboere")
    await make_member(session, org, "+4791111111", name="Øyvind Ås", group_id=group.id)
    kari = await make_member(session, org, "+4792222222", name="Kari Nordmann")
    nameless = await make_member(session, org, "+4793333333", name=None)
    await make_tag(session, org, nameless, uid="04A1B2C3")
    await block_member(session, ACTOR, org.id, kari.id)
    other = await make_org(session)
    await make_member(session, other, "+4794444444", name="Øyvind Annen")

    assert await _phones(session, org.id, text="øyvind") == ["+4791111111"]
    assert await _phones(session, org.id, text="ØYVIND") == ["+4791111111"]
    assert await _phones(session, org.id, text="nord") == ["+4792222222"]
    assert await _phones(session, org.id, text="922 22") == ["+4792222222"]
    assert await _phones(session, org.id, text="0047 9333") == ["+4793333333"]
    assert await _phones(session, org.id, text="04:a1:b2") == ["+4793333333"]
    assert await _phones(session, org.id, tag="a1b2") == ["+4793333333"]
    assert await _phones(session, org.id, text="100%_") == []
    assert await _phones(session, org.id, group_id=group.id) == ["+4791111111"]
    default = await default_group(session, org.id)
    assert await _phones(session, org.id, group_id=default.id) == ["+4792222222", "+4793333333"]
    assert await _phones(session, org.id, state="blocked") == ["+4792222222"]
    assert await _phones(session, org.id, state=MemberFilter.without_name) == ["+4793333333"]
    assert await _phones(session, org.id, state="logged_in") == []
    nameless = await get_membership(session, org.id, nameless.id)
    nameless.activated_at = utcnow()
    await session.commit()
    assert await _phones(session, org.id, state="logged_in") == ["+4793333333"]
    assert "+4793333333" not in await _phones(session, org.id, state="never_logged_in")


async def test_pages_are_stable_and_counted(session: AsyncSession) -> None:
    org = await make_org(session)
    for i in range(7):
        await make_member(session, org, f"+479000000{i}", name="Same Name")
    seen = []
    for page_no in (1, 2, 3):
        page = await search_members(session, org.id, MemberQuery(page=page_no, page_size=3))
        assert (page.total, page.pages) == (7, 3)
        seen += [row.membership.id for row in page.items]
    assert len(set(seen)) == 7


@pytest.mark.parametrize(
    "query", [MemberQuery(page=0), MemberQuery(page_size=0), MemberQuery(page_size=501), MemberQuery(state="sleeping")]
)
async def test_bad_queries_are_rejected(session: AsyncSession, query: MemberQuery) -> None:
    org = await make_org(session)
    with pytest.raises(ValidationFailed):
        await search_members(session, org.id, query)
