"""A tag that is refused because its member is blocked offers to unblock the member, not to block the
tag (which is not what stops it); other tags keep their own block and unblock buttons."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.members.models import IdTag, Membership, MembershipState, TagState
from ladeportal.members.services import block_member
from tests.factories import ACTOR, make_member, make_tag
from tests.portal.conftest import TwoOrgs, form_post
from tests.portal.ocpp_rows import all_by_testid


def _row(html: str, uid: str) -> str:
    found = re.search(rf'<tr data-testid="tag-row" data-uid="{uid}">(.*?)</tr>', html, re.S)
    assert found, uid
    return found.group(1)


async def test_a_blocked_members_tag_offers_to_unblock_the_member(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    org, c = two_orgs.org_a, two_orgs.admin_a.client
    base = f"/portal/o/{org.id}"
    kari = await make_member(session, org, name="Kari")
    ola = await make_member(session, org, name="Ola")
    kari_tag = await make_tag(session, org, kari, "04AA0001")
    ola_tag = await make_tag(session, org, ola, "04AA0002")
    await block_member(session, ACTOR, org.id, kari.id)

    page = await c.get(f"{base}/rfid")
    assert page.status_code == 200
    kari_row = _row(page.text, "04AA0001")
    assert 'data-state="member-blocked"' in kari_row
    assert f'href="{base}/users/{kari.id}/unblock"' in kari_row
    assert "Opphev sperringen av medlemmet" in kari_row
    assert f"/rfid/{kari_tag.id}/block" not in kari_row and f"/rfid/{kari_tag.id}/unblock" not in kari_row
    ola_row = _row(page.text, "04AA0002")
    assert f'action="{base}/rfid/{ola_tag.id}/block"' in ola_row and "unblock-member" not in ola_row
    assert len(all_by_testid(page.text, "unblock-member")) == 1

    # The tag's own page says the same.
    form = await c.get(f"{base}/rfid/{kari_tag.id}/edit")
    assert 'data-state="member-blocked"' in form.text and f'href="{base}/users/{kari.id}/unblock"' in form.text
    assert f"/rfid/{kari_tag.id}/block" not in form.text and "Sperr brikke" not in form.text
    ola_form = await c.get(f"{base}/rfid/{ola_tag.id}/edit")
    assert f'action="{base}/rfid/{ola_tag.id}/block"' in ola_form.text and "unblock-member" not in ola_form.text

    # The link leads to the member's unblock confirmation; confirming makes the tag work again.
    confirm = await c.get(f"{base}/users/{kari.id}/unblock")
    assert confirm.status_code == 200
    done = await form_post(c, f"{base}/users/{kari.id}/unblock", f"{base}/users/{kari.id}/unblock", {})
    assert done.status_code == 303
    await session.commit()
    state = await session.scalar(select(Membership.state).where(Membership.id == kari.id))
    assert state != MembershipState.blocked
    kari_row = _row((await c.get(f"{base}/rfid")).text, "04AA0001")
    assert 'data-state="works"' in kari_row and f'action="{base}/rfid/{kari_tag.id}/block"' in kari_row


async def test_an_outsider_sees_no_tags_and_unblocks_no_member(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    org = two_orgs.org_a
    kari = await make_member(session, org, name="Kari")
    await make_tag(session, org, kari, "04AA0003")
    await block_member(session, ACTOR, org.id, kari.id)
    outsider = two_orgs.admin_b.client
    assert (await outsider.get(f"/portal/o/{org.id}/rfid")).status_code == 404
    tag_id = await session.scalar(select(IdTag.id).where(IdTag.uid == "04AA0003"))
    assert (await outsider.get(f"/portal/o/{org.id}/rfid/{tag_id}/edit")).status_code == 404
    assert (await outsider.get(f"/portal/o/{two_orgs.org_b.id}/rfid/{tag_id}/edit")).status_code == 404
    assert (await outsider.get(f"/portal/o/{org.id}/users/{kari.id}/unblock")).status_code == 404
    assert (await outsider.get(f"/portal/o/{two_orgs.org_b.id}/users/{kari.id}/unblock")).status_code == 404
    await session.commit()
    assert await session.scalar(select(Membership.state).where(Membership.id == kari.id)) == MembershipState.blocked
    tag_state = await session.scalar(select(IdTag.state).where(IdTag.uid == "04AA0003"))
    assert tag_state == TagState.active
