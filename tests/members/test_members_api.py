"""The members JSON API: the new endpoints work, and an admin of org B reaches nothing of org A."""

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from ladeportal.db.engine import Database
from ladeportal.members.groups import create_group
from ladeportal.members.models import IdTag, Membership, User, UserGroup
from ladeportal.platform.api_tokens import create_api_token
from tests.factories import ACTOR, make_member, make_org, make_tag


@dataclass
class Org:
    id: str
    member: str
    group: str
    tag: str
    auth: dict[str, str]


@pytest.fixture
async def orgs(db: Database) -> tuple[Org, Org]:
    out = []
    async with db.session() as s:
        for _ in range(2):
            org = await make_org(s)
            member = await make_member(s, org, name="Kari")
            group = await create_group(s, ACTOR, org.id, "Beboere")
            tag = await make_tag(s, org, member)
            token = await create_api_token(s, ACTOR, org.id, "ci", ["read", "write"])
            out.append(
                Org(
                    str(org.id), str(member.id), str(group.id), str(tag.id), {"Authorization": f"Bearer {token.secret}"}
                )
            )
    return out[0], out[1]


async def test_edit_search_invite_move_export_and_import(client: httpx.AsyncClient, orgs: tuple[Org, Org]) -> None:
    a, _ = orgs
    base = f"/api/v1/orgs/{a.id}"
    r = await client.patch(f"{base}/members/{a.member}", json={"name": "Kari N", "group_id": a.group}, headers=a.auth)
    assert r.status_code == 200 and (r.json()["name"], r.json()["group_id"]) == ("Kari N", a.group)
    r = await client.patch(f"{base}/members/{a.member}", json={"email": "bad"}, headers=a.auth)
    assert r.status_code == 422 and r.json()["field"] == "email"
    r = await client.get(f"{base}/members/search", params={"q": "kari", "group_id": a.group}, headers=a.auth)
    assert r.json()["total"] == 1 and r.json()["items"][0]["invite_count"] == 1
    r = await client.post(f"{base}/members/{a.member}/invite", headers=a.auth)
    assert r.status_code == 409 and "10 minutes" in r.json()["message"]
    r = await client.post(f"{base}/members/move", json={"membership_ids": [a.member]}, headers=a.auth)
    assert r.json() == {"moved": 1}
    r = await client.get(f"{base}/members/export", params={"format": "csv"}, headers=a.auth)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    files = {"file": ("members.csv", r.content, "text/csv")}
    r = await client.post(f"{base}/members/import/dry-run", files=files, headers=a.auth)
    assert r.json()["counts"]["unchanged"] == 1 and r.json()["committed"] is False
    bad = {"file": ("bad.csv", b"Mobil;Navn\n12345;Feil\n", "text/csv")}
    r = await client.post(f"{base}/members/import/dry-run", files=bad, headers=a.auth)
    row = r.json()["rows"][0]
    assert row["status"] == "error" and row["code"] == "member.phone_invalid" and row["params"] == {"phone": "12345"}
    new = {"file": ("new.csv", b"Mobil;Navn\n41234567;Ny\n", "text/csv")}
    r = await client.post(f"{base}/members/import", files=new, headers=a.auth)
    assert r.json()["counts"]["added"] == 1 and r.json()["committed"] is True
    tags_csv = {
        "file": ("tags.csv", b"uid;etikett;gruppe;utl\xc3\xb8per\n0D0D0D0D;Gjest;Beboere;31.12.2030\n", "text/csv")
    }
    r = await client.post(f"{base}/tags/import", files=tags_csv, headers=a.auth)
    assert r.json()["counts"]["added"] == 1
    r = await client.put(f"{base}/groups/{a.group}", json={"name": "Beboere", "description": "Alle"}, headers=a.auth)
    assert r.json()["description"] == "Alle"
    r = await client.delete(f"{base}/groups/{a.group}", headers=a.auth)
    assert r.status_code == 204


async def _snapshot(db: Database) -> Any:
    async with db.session() as s:
        return (
            sorted((u.name or "", u.email or "", u.phone or "") for u in (await s.scalars(select(User))).all()),
            sorted(
                (str(m.group_id), m.state.value, m.invite_count, m.name or "", m.email or "", m.notes or "")
                for m in (await s.scalars(select(Membership))).all()
            ),
            sorted((t.uid, t.label, t.state.value) for t in (await s.scalars(select(IdTag))).all()),
            sorted((g.name, g.description) for g in (await s.scalars(select(UserGroup))).all()),
            await s.scalar(select(func.count()).select_from(User)),
        )


async def test_an_admin_of_another_organisation_gets_404_and_changes_nothing(
    client: httpx.AsyncClient, db: Database, orgs: tuple[Org, Org]
) -> None:
    a, b = orgs
    before = await _snapshot(db)
    csv = {"file": ("m.csv", b"Mobil;Navn\n41234567;Intruder\n", "text/csv")}
    requests = [
        ("PATCH", f"/members/{a.member}", {"json": {"name": "x"}}),
        ("POST", f"/members/{a.member}/invite", {}),
        ("POST", f"/members/{a.member}/block", {}),
        ("DELETE", f"/members/{a.member}", {}),
        ("PUT", f"/groups/{a.group}", {"json": {"name": "x"}}),
        ("DELETE", f"/groups/{a.group}", {}),
        ("PUT", f"/tags/{a.tag}", {"json": {"group_id": b.group}}),
        ("POST", f"/tags/{a.tag}/block", {}),
    ]
    for method, path, kw in requests:
        # With org B's id in the path: org A's ids are not found there.
        r = await client.request(method, f"/api/v1/orgs/{b.id}{path}", headers=b.auth, **kw)
        assert r.status_code == 404, (method, path, r.text)
        # With org A's id in the path: B's admin is a stranger there.
        r = await client.request(method, f"/api/v1/orgs/{a.id}{path}", headers=b.auth, **kw)
        assert r.status_code == 404, (method, path, r.text)
    r = await client.post(f"/api/v1/orgs/{b.id}/members/move", json={"membership_ids": [a.member]}, headers=b.auth)
    assert r.status_code == 404
    r = await client.put(f"/api/v1/orgs/{b.id}/tags/{b.tag}", json={"membership_id": a.member}, headers=b.auth)
    assert r.status_code == 404
    for path in ("/members/import", "/members/import/dry-run", "/tags/import"):
        r = await client.post(f"/api/v1/orgs/{a.id}{path}", files=csv, headers=b.auth)
        assert r.status_code == 404
    for path in ("/members/search", "/members/export"):
        r = await client.get(f"/api/v1/orgs/{a.id}{path}", headers=b.auth)
        assert r.status_code == 404
    assert await _snapshot(db) == before
