"""Deterministically damaged copies of a valid XLSX and CSV file: each one is read cleanly or refused
with a validation error; through the API it is never a 500, and a refused import changes nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from ladeportal.db.engine import Database
from ladeportal.errors import ValidationFailed
from ladeportal.members.member_import import MEMBER_COLUMNS
from ladeportal.members.models import IdTag, Membership, User
from ladeportal.members.tabular import read_table
from ladeportal.members.tag_import import TAG_COLUMNS
from ladeportal.platform.api_tokens import create_api_token
from tests.factories import ACTOR, make_member, make_org, make_tag
from tests.robustness.spreadsheets import damaged, xlsx

MEMBERS = [
    ["Mobil", "Navn", "E-post"],
    ["91234567", "Kari Nordmann", "kari@example.no"],
    ["92345678", "Ola Nordmann", "ola@example.no"],
]
TAGS = [["RFID", "Mobil", "Etikett", "Utløper"], ["04A1B2C3", "91234567", "Blå brikke", "31.12.2030"]]
FILES = {
    "members.xlsx": xlsx(MEMBERS),
    "members.csv": "\n".join(";".join(r) for r in MEMBERS).encode("cp1252"),
    "tags.xlsx": xlsx(TAGS),
    "tags.csv": "\r\n".join(",".join(r) for r in TAGS).encode("utf-8-sig"),
}


@pytest.mark.parametrize("name", list(FILES))
def test_every_damaged_copy_reads_or_is_refused(name: str) -> None:
    columns, required = (MEMBER_COLUMNS, ("phone",)) if name.startswith("members") else (TAG_COLUMNS, ("uid",))
    outcomes = {"read": 0, "refused": 0}
    for seed in range(150):
        try:
            read_table(damaged(FILES[name], seed), name, columns, required)
        except ValidationFailed as exc:
            assert exc.field == "file" and exc.message, (seed, exc)
            outcomes["refused"] += 1
        else:
            outcomes["read"] += 1
    assert outcomes["refused"] > 0  # the corruptions do reach the error paths


async def _stored(db: Database) -> list[Any]:
    async with db.session() as s:
        members = (
            await s.execute(
                select(Membership.id, Membership.group_id, Membership.state, User.phone, User.name, User.email)
                .join(User, User.id == Membership.user_id)
                .order_by(User.phone)
            )
        ).all()
        tags = (
            await s.execute(select(IdTag.uid, IdTag.label, IdTag.expires_at, IdTag.membership_id).order_by(IdTag.uid))
        ).all()
    return [*members, *tags]


async def test_damaged_imports_through_the_api_never_fail_with_500(db: Database, client: httpx.AsyncClient) -> None:
    async with db.session() as s:
        org = await make_org(s)
        member = await make_member(s, org, phone="+4791234567")
        await make_tag(s, org, member, uid="04A1B2C3")
        token = await create_api_token(s, ACTOR, org.id, "ci", ["read", "write"])
    auth = {"Authorization": f"Bearer {token.secret}"}
    before = await _stored(db)
    statuses: dict[int, int] = {}
    for name, content in FILES.items():
        path = f"/api/v1/orgs/{org.id}/{'members' if name.startswith('members') else 'tags'}/import"
        for seed in range(0, 60, 2):
            response = await client.post(path, files={"file": (name, damaged(content, seed))}, headers=auth)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            assert response.status_code in (200, 409, 422), (name, seed, response.text[:500])
            if response.status_code != 200:
                assert response.json()["message"]
                assert await _stored(db) == before, (name, seed)
            else:
                before = await _stored(db)  # a damaged copy may still be a valid file that changes rows
    assert statuses.get(422, 0) > 0
