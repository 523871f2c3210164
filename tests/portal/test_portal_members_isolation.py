"""The isolation matrix for the users, groups and RFID pages: an admin of A, a finance user of A and
an admin of B. Any id swapped between the organisations answers 404 and changes nothing; finance
reads the lists but every write answers 404."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.chargers.history_models import UnknownTagSighting
from ladeportal.members.groups import create_group
from ladeportal.members.models import IdTag, Membership, User, UserGroup
from ladeportal.orgs.models import Organization
from ladeportal.platform.models import AuditEvent
from tests.factories import ACTOR, make_charger, make_member, make_site, make_tag
from tests.portal.conftest import TwoOrgs, csrf_of

pytestmark = pytest.mark.asyncio


async def _objects_of(session: AsyncSession, org: Organization, uid: str) -> dict[str, str]:
    member = await make_member(session, org, name=f"Medlem {org.legal_name}")
    group = await create_group(session, ACTOR, org.id, "Gjester")
    tag = await make_tag(session, org, member, uid=uid)
    charger = await make_charger(session, await make_site(session, org))
    sighting = UnknownTagSighting(charge_point_id=charger.charge_point.id, uid=uid[:-2] + "FF")
    session.add(sighting)
    await session.commit()
    return {
        "org": str(org.id),
        "member": str(member.id),
        "group": str(group.id),
        "tag": str(tag.id),
        "sighting": str(sighting.id),
    }


def _gets(org: str, o: dict[str, str]) -> list[str]:
    base = f"/portal/o/{org}"
    return [
        f"{base}/users/{o['member']}",
        f"{base}/users/{o['member']}/block",
        f"{base}/users/{o['member']}/remove",
        f"{base}/groups/{o['group']}/edit",
        f"{base}/groups/{o['group']}/delete",
        f"{base}/rfid/{o['tag']}/edit",
    ]


def _posts(org: str, o: dict[str, str], own: dict[str, str]) -> list[tuple[str, dict[str, object]]]:
    """Forms carrying the other organisation's ids (`o`), sent to organisation `org` whose own objects are `own`."""
    base = f"/portal/o/{org}"
    m, g, t = o["member"], o["group"], o["tag"]
    return [
        (f"{base}/users/{m}", {"name": "Overtatt", "role": "org_admin", "language": "nb"}),
        (f"{base}/users/{m}/block", {}),
        (f"{base}/users/{m}/unblock", {}),
        (f"{base}/users/{m}/remove", {}),
        (f"{base}/users/{m}/invite", {}),
        (f"{base}/users/move", {"member": m, "group_id": own["group"]}),
        (f"{base}/users/move", {"member": own["member"], "group_id": g}),
        (f"{base}/groups/{g}/edit", {"name": "Overtatt", "access": "all"}),
        (f"{base}/groups/{g}/delete", {}),
        (f"{base}/rfid/{t}/edit", {"owner": "group", "group_id": own["group"]}),
        (f"{base}/rfid/{t}/block", {}),
        (f"{base}/rfid/{t}/unblock", {}),
        (f"{base}/rfid/unknown/{o['sighting']}/claim", {"owner": "group", "group_id": own["group"]}),
    ]


def _own_writes(org: str, o: dict[str, str]) -> list[tuple[str, dict[str, object]]]:
    """Writes with the organisation's own ids: for finance, each must be refused."""
    base = f"/portal/o/{org}"
    return [
        *_posts(org, o, o),
        (f"{base}/users/new", {"phone": "+4791111111"}),
        (f"{base}/groups/new", {"name": "Ny"}),
        (f"{base}/rfid/new", {"uid": "04112233", "owner": "group", "group_id": o["group"]}),
        (f"{base}/users/import/run", {"content": "bW9iaWw7bmF2bgo=", "filename": "x.csv"}),
        (f"{base}/rfid/import/run", {"content": "dWlkCg==", "filename": "x.csv"}),
    ]


async def _state(session: AsyncSession) -> tuple[object, ...]:
    await session.commit()  # ends the read transaction without expiring the test's objects
    return (
        tuple(
            (
                await session.execute(
                    select(
                        Membership.id,
                        Membership.state,
                        Membership.group_id,
                        Membership.role,
                        Membership.removed_at,
                        Membership.invite_count,
                        Membership.name,
                        Membership.email,
                        Membership.notes,
                        Membership.parking_spot,
                    ).order_by(Membership.id)
                )
            ).all()
        ),
        tuple(
            (
                await session.execute(
                    select(User.id, User.name, User.email, User.language, User.phone, User.anonymised_at).order_by(
                        User.id
                    )
                )
            ).all()
        ),
        tuple(
            (
                await session.execute(
                    select(UserGroup.id, UserGroup.name, UserGroup.all_sites, UserGroup.deleted_at).order_by(
                        UserGroup.id
                    )
                )
            ).all()
        ),
        tuple(
            (
                await session.execute(
                    select(IdTag.id, IdTag.uid, IdTag.state, IdTag.membership_id, IdTag.group_id).order_by(IdTag.id)
                )
            ).all()
        ),
        await session.scalar(select(func.count()).select_from(AuditEvent)),
    )


async def _token(client: httpx.AsyncClient) -> str:
    return csrf_of((await client.get("/portal/", follow_redirects=True)).text)


async def test_swapping_any_member_group_or_tag_id_gives_404_and_changes_nothing(
    two_orgs: TwoOrgs, session: AsyncSession
) -> None:
    a = await _objects_of(session, two_orgs.org_a, "04AAAA01")
    b = await _objects_of(session, two_orgs.org_b, "04BBBB01")
    before = await _state(session)
    attempts = [
        (two_orgs.admin_a, b["org"], b, a),
        (two_orgs.admin_a, a["org"], b, a),
        (two_orgs.finance_a, b["org"], b, a),
        (two_orgs.finance_a, a["org"], b, a),
        (two_orgs.admin_b, a["org"], a, b),
        (two_orgs.admin_b, b["org"], a, b),
    ]
    for person, org, objects, own in attempts:
        for url in _gets(org, objects):
            response = await person.client.get(url)
            assert response.status_code == 404, (person.phone, url, response.status_code)
        if org != own["org"]:
            for page in ("users", "groups", "rfid", "users/export.csv", "users/import", "rfid/new"):
                url = f"/portal/o/{org}/{page}"
                assert (await person.client.get(url)).status_code == 404, (person.phone, url)
        csrf = await _token(person.client)
        for url, data in _posts(org, objects, own):
            response = await person.client.post(url, data={**data, "csrf_token": csrf})
            assert response.status_code == 404, (person.phone, url, response.status_code)
    assert await _state(session) == before
    # Nor do the lists show the other organisation's people, tags or unknown tags.
    for person, own, other in ((two_orgs.admin_a, a, b), (two_orgs.admin_b, b, a)):
        users = (await person.client.get(f"/portal/o/{own['org']}/users")).text
        assert other["member"] not in users
        rfid = (await person.client.get(f"/portal/o/{own['org']}/rfid")).text
        assert other["tag"] not in rfid and f"/unknown/{other['sighting']}/" not in rfid


async def test_finance_reads_the_member_pages_but_every_write_is_404(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    a = await _objects_of(session, two_orgs.org_a, "04AAAA01")
    finance = two_orgs.finance_a.client
    base = f"/portal/o/{a['org']}"
    for url in (f"{base}/users", f"{base}/groups", f"{base}/rfid", f"{base}/users/export.xlsx"):
        assert (await finance.get(url)).status_code == 200, url
    for url in (
        *_gets(a["org"], a),
        f"{base}/users/new",
        f"{base}/groups/new",
        f"{base}/rfid/new",
        f"{base}/users/import",
        f"{base}/rfid/import",
    ):
        assert (await finance.get(url)).status_code == 404, url
    before = await _state(session)
    csrf = await _token(finance)
    for url, data in _own_writes(a["org"], a):
        response = await finance.post(url, data={**data, "csrf_token": csrf})
        assert response.status_code == 404, (url, response.status_code)
    upload = await finance.post(
        f"{base}/users/import",
        data={"csrf_token": csrf},
        files={"file": ("x.csv", b"mobil\n+4791111111\n", "text/csv")},
    )
    assert upload.status_code == 404
    assert await _state(session) == before
