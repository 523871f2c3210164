"""One person, two organisations: the isolation matrix for people.

Organisation A knows the person as "Anna Alfa" (e-mail, notes, parking spot); the person has their
own name and e-mail and has logged in. Organisation B adds the same number. Through every path that
reads or writes people (JSON API, portal pages, import, export, search) B never sees A's data, the
person's own record or their activity, and nothing B does changes what A sees or the person's row.
"""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.members.models import IdTag, Membership, Role, TagState, User
from ladeportal.members.services import MemberInput, add_member, make_operator
from ladeportal.platform.api_tokens import create_api_token
from ladeportal.platform.models import OperatorAccount
from tests.factories import ACTOR, make_tag, mobile_number
from tests.portal.conftest import TwoOrgs, csrf_of, form_post, new_client, sign_in

# What only A (or the person themself) stored: none of it may reach B.
A_DATA = ("Anna Alfa", "anna@alfa.example", "Alfa-notat", "A-01")
OWN_DATA = ("Eget Navn", "eget@person.example")
SECRETS = A_DATA + OWN_DATA


@dataclass
class World:
    orgs: TwoOrgs
    phone: str
    user_id: uuid.UUID
    a_member: uuid.UUID
    api_a: dict[str, str]
    api_b: dict[str, str]

    def api(self, org: str) -> str:
        org_id = self.orgs.org_a.id if org == "a" else self.orgs.org_b.id
        return f"/api/v1/orgs/{org_id}"

    @property
    def portal_b(self) -> str:
        return f"/portal/o/{self.orgs.org_b.id}"


@pytest.fixture
async def world(app: FastAPI, two_orgs: TwoOrgs, session: AsyncSession) -> World:
    phone = mobile_number()
    m = await add_member(
        session,
        ACTOR,
        two_orgs.org_a.id,
        MemberInput(
            phone=phone,
            name=A_DATA[0],
            email=A_DATA[1],
            notes=A_DATA[2],
            parking_spot=A_DATA[3],
            role=Role.finance,
            send_invite=False,
        ),
    )
    await make_tag(session, two_orgs.org_a, m, uid="0A0A0A01")
    user = await session.get_one(User, m.user_id)
    user.name, user.email = OWN_DATA  # the person's own record, as they or platform staff keep it
    await session.commit()
    tokens = [
        await create_api_token(session, ACTOR, org.id, "ci", ["read", "write"])
        for org in (two_orgs.org_a, two_orgs.org_b)
    ]
    # The person (finance in A, so they may use the portal) signs in: their global last login is set
    # and A's membership is activated.
    async with new_client(app) as person:
        assert (await sign_in(person, session, phone)).status_code == 303
    return World(two_orgs, phone, m.user_id, m.id, *({"Authorization": f"Bearer {t.secret}"} for t in tokens))


@pytest.fixture
async def api(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with new_client(app) as c:
        yield c


def assert_reveals_nothing(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, (where, secret)


async def a_view(session: AsyncSession, w: World) -> tuple[object, ...]:
    """What A knows about the person, and the person's own row: B must change neither."""
    await session.commit()
    membership = (
        await session.execute(
            select(
                Membership.name,
                Membership.email,
                Membership.notes,
                Membership.parking_spot,
                Membership.state,
                Membership.activated_at,
                Membership.removed_at,
                Membership.role,
            ).where(Membership.id == w.a_member)
        )
    ).one()
    person = (
        await session.execute(
            select(User.phone, User.name, User.email, User.language, User.last_login_at, User.anonymised_at).where(
                User.id == w.user_id
            )
        )
    ).one()
    tags = (await session.execute(select(IdTag.uid, IdTag.state).where(IdTag.uid == "0A0A0A01"))).one()
    return tuple(membership), tuple(person), tuple(tags)


async def _portal_import(c: httpx.AsyncClient, base: str, content: bytes) -> tuple[str, str]:
    page = await c.get(f"{base}/users/import")
    dry = await c.post(
        f"{base}/users/import", data={"csrf_token": csrf_of(page.text)}, files={"file": ("m.csv", content, "text/csv")}
    )
    assert dry.status_code == 200, dry.text
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', dry.text))
    fields = {k: v for k, v in fields.items() if k != "csrf_token"}
    done = await c.post(f"{base}/users/import/run", data={**fields, "csrf_token": csrf_of(dry.text)})
    assert done.status_code == 200, done.text
    return dry.text, done.text


async def _b_membership(session: AsyncSession, w: World) -> Membership:
    await session.commit()
    session.expunge_all()
    found = await session.scalar(
        select(Membership).where(Membership.organization_id == w.orgs.org_b.id, Membership.user_id == w.user_id)
    )
    assert found is not None
    return found


@pytest.mark.parametrize("path", ["api", "portal", "api_import", "portal_import"])
async def test_adding_a_known_number_reveals_nothing(
    world: World, api: httpx.AsyncClient, session: AsyncSession, path: str
) -> None:
    w, admin_b = world, world.orgs.admin_b.client
    shown: list[tuple[str, str]] = []
    csv = f"Mobilnummer;Navn;E-post\n{w.phone};;\n".encode()
    if path == "api":
        r = await api.post(f"{w.api('b')}/members", json={"phone": w.phone}, headers=w.api_b)
        assert r.status_code == 201, r.text
        body = r.json()
        assert (body["name"], body["email"], body["notes"], body["parking_spot"], body["activated_at"]) == (
            None,
            None,
            None,
            None,
            None,
        )
        shown.append(("api add", r.text))
    elif path == "portal":
        r = await form_post(admin_b, f"{w.portal_b}/users/new", f"{w.portal_b}/users/new", {"phone": w.phone})
        assert r.status_code == 303, r.text
        page = await admin_b.get(r.headers["location"])
        shown.append(("portal add", page.text))
    elif path == "api_import":
        for step in ("import/dry-run", "import"):
            r = await api.post(
                f"{w.api('b')}/members/{step}", files={"file": ("m.csv", csv, "text/csv")}, headers=w.api_b
            )
            assert r.status_code == 200, r.text
            shown.append((step, r.text))
    else:
        shown += list(zip(("dry run", "import"), await _portal_import(admin_b, w.portal_b, csv), strict=True))
    member = await _b_membership(session, w)
    assert (member.name, member.email, member.activated_at) == (None, None, None)
    r = await api.get(f"{w.api('b')}/members/{member.id}", headers=w.api_b)
    shown.append(("api get", r.text))
    shown.append(("portal member page", (await admin_b.get(f"{w.portal_b}/users/{member.id}")).text))
    for where, text in shown:
        assert_reveals_nothing(text, where)
    # "Never" logged in as far as B knows, although the person has logged in (with A).
    assert 'data-state="invited"' in shown[-1][1]


async def test_every_read_of_b_shows_only_what_b_stored(
    world: World, api: httpx.AsyncClient, session: AsyncSession
) -> None:
    w, admin_b, base = world, world.orgs.admin_b.client, world.portal_b
    r = await api.post(
        f"{w.api('b')}/members",
        json={"phone": w.phone, "name": "Bjørn Beta", "email": "bjorn@beta.example"},
        headers=w.api_b,
    )
    member_id = r.json()["id"]
    await make_tag(session, w.orgs.org_b, await session.get_one(Membership, uuid.UUID(member_id)), uid="0B0B0B01")
    reads = {
        "api list": await api.get(f"{w.api('b')}/members", headers=w.api_b),
        "api get": await api.get(f"{w.api('b')}/members/{member_id}", headers=w.api_b),
        "api search": await api.get(f"{w.api('b')}/members/search", headers=w.api_b),
        "api export": await api.get(f"{w.api('b')}/members/export", params={"format": "csv"}, headers=w.api_b),
        "portal list": await admin_b.get(f"{base}/users"),
        "portal member": await admin_b.get(f"{base}/users/{member_id}"),
        "portal remove page": await admin_b.get(f"{base}/users/{member_id}/remove"),
        "portal rfid": await admin_b.get(f"{base}/rfid"),
        "portal export csv": await admin_b.get(f"{base}/users/export.csv"),
    }
    for where, response in reads.items():
        assert response.status_code == 200, where
        text = response.content.decode("utf-8-sig")
        assert_reveals_nothing(text, where)
        if where != "portal remove page":
            assert "Bjørn Beta" in text, where
    xlsx = await admin_b.get(f"{base}/users/export.xlsx")
    cells = [
        str(c)
        for row in load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True)  # type: ignore[union-attr]
        for c in row
        if c is not None
    ]
    assert_reveals_nothing(" ".join(cells), "portal export xlsx")
    # The person's first login here is empty: their logging in elsewhere is not B's to know.
    [row] = [line for line in reads["api export"].content.decode("utf-8-sig").splitlines() if w.phone in line]
    assert row.rstrip("\r").endswith(";Invitert;")
    [item] = [i for i in reads["api search"].json()["items"] if i["phone"] == w.phone]
    assert item["activated_at"] is None and "last_login_at" not in item
    # Search and filters read B's names and B's activation only.
    for params, found in (
        ({"q": "Anna"}, False),
        ({"q": "Eget"}, False),
        ({"q": "Bjørn"}, True),
        ({"state": "logged_in"}, False),
        ({"state": "never_logged_in"}, True),
    ):
        r = await api.get(f"{w.api('b')}/members/search", params=params, headers=w.api_b)
        assert (w.phone in [i["phone"] for i in r.json()["items"]]) == found, params
    for q in ("Anna", "Eget", "alfa.example"):
        page = await admin_b.get(f"{base}/users", params={"q": q})
        assert 'data-testid="user-row"' not in page.text, q
        tags = await admin_b.get(f"{base}/rfid", params={"q": q})
        assert "0B0B0B01" not in tags.text, q
    # A still sees its own record.
    r = await api.get(f"{w.api('a')}/members/{w.a_member}", headers=w.api_a)
    assert (r.json()["name"], r.json()["email"], r.json()["notes"]) == A_DATA[:3]
    assert r.json()["activated_at"] is not None


async def test_no_write_of_b_changes_what_a_sees_or_the_person(
    world: World, api: httpx.AsyncClient, session: AsyncSession
) -> None:
    w, admin_b, base = world, world.orgs.admin_b.client, world.portal_b
    before = await a_view(session, w)
    r = await api.post(
        f"{w.api('b')}/members", json={"phone": w.phone, "name": "Bjørn Beta", "language": "en"}, headers=w.api_b
    )
    member_id = r.json()["id"]
    await make_tag(session, w.orgs.org_b, await session.get_one(Membership, uuid.UUID(member_id)), uid="0B0B0B01")
    writes = [
        await api.patch(
            f"{w.api('b')}/members/{member_id}",
            json={"name": "Overtatt", "email": "over@beta.example", "notes": "B-notat", "parking_spot": "B-9"},
            headers=w.api_b,
        ),
        await form_post(
            admin_b,
            f"{base}/users/{member_id}",
            f"{base}/users/{member_id}",
            {
                "name": "Overtatt igjen",
                "email": "igjen@beta.example",
                "notes": "mer",
                "role": "member",
                "parking_spot": "B-10",
                "language": "en",
            },
        ),
    ]
    assert [x.status_code for x in writes] == [200, 303]
    # The person's language is theirs: the API refuses it, the portal has no such field.
    refused = await api.patch(f"{w.api('b')}/members/{member_id}", json={"language": "en"}, headers=w.api_b)
    assert refused.status_code == 422
    csv = f"Mobilnummer;Navn;E-post;Notat;Parkeringsplass\n{w.phone};Importert;imp@beta.example;N;B-11\n".encode()
    for _ in range(2):  # an import and a re-import of the same file
        r = await api.post(f"{w.api('b')}/members/import", files={"file": ("m.csv", csv, "text/csv")}, headers=w.api_b)
        assert r.status_code == 200 and r.json()["committed"], r.text
    await _portal_import(admin_b, base, csv.replace(b"Importert", b"Portalimport"))
    mine = await _b_membership(session, w)
    assert (mine.name, mine.email, mine.notes, mine.parking_spot) == ("Portalimport", "imp@beta.example", "N", "B-11")
    for action in ("block", "unblock"):
        assert (await api.post(f"{w.api('b')}/members/{member_id}/{action}", headers=w.api_b)).status_code == 200
    assert await a_view(session, w) == before
    # B removes the person: A's membership, tags and the person are untouched.
    removed = await form_post(admin_b, f"{base}/users/{member_id}/remove", f"{base}/users/{member_id}/remove", {})
    assert removed.status_code == 303
    assert await a_view(session, w) == before
    r = await api.get(f"{w.api('a')}/members/{w.a_member}", headers=w.api_a)
    assert (r.json()["name"], r.json()["state"]) == (A_DATA[0], "active")
    assert (await session.scalar(select(IdTag.state).where(IdTag.uid == "0B0B0B01"))) == TagState.blocked


@pytest.mark.parametrize("path", ["api", "portal"])
async def test_a_staff_number_added_and_removed_leaves_the_staff_account(
    app: FastAPI, world: World, api: httpx.AsyncClient, session: AsyncSession, path: str
) -> None:
    w, phone = world, mobile_number()
    account = await make_operator(session, ACTOR, phone, "Plattform Drift")
    account_id, staff_id = account.id, account.user_id
    async with new_client(app) as staff:
        assert (await sign_in(staff, session, phone)).status_code == 303

    async def staff_row() -> tuple[object, ...]:
        await session.commit()
        return tuple(
            (
                await session.execute(
                    select(
                        User.phone, User.name, User.email, User.language, User.last_login_at, User.anonymised_at
                    ).where(User.id == staff_id)
                )
            ).one()
        )

    before = await staff_row()
    assert before[0] == phone and before[4] is not None
    if path == "api":
        r = await api.post(
            f"{w.api('b')}/members", json={"phone": phone, "name": "Falsk", "email": "f@x.example"}, headers=w.api_b
        )
        assert "Plattform Drift" not in r.text
        assert (await api.delete(f"{w.api('b')}/members/{r.json()['id']}", headers=w.api_b)).status_code == 204
    else:
        admin_b, base = w.orgs.admin_b.client, w.portal_b
        r = await form_post(admin_b, f"{base}/users/new", f"{base}/users/new", {"phone": phone, "name": "Falsk"})
        member_url = r.headers["location"]
        assert "Plattform Drift" not in (await admin_b.get(member_url)).text
        r = await form_post(admin_b, f"{member_url}/remove", f"{member_url}/remove", {})
        assert r.status_code == 303
    assert await staff_row() == before
    assert await session.get(OperatorAccount, account_id) is not None
    async with new_client(app) as staff:
        assert (await sign_in(staff, session, phone)).status_code == 303


async def test_only_platform_staff_anonymise_and_only_a_person_nothing_keeps(
    app: FastAPI, world: World, api: httpx.AsyncClient, session: AsyncSession
) -> None:
    w, url = world, "/portal/operator/anonymise"
    staff_phone = mobile_number()
    await make_operator(session, ACTOR, staff_phone)
    # An organisation's admin does not reach the page.
    assert (await w.orgs.admin_b.client.get(url)).status_code == 404
    async with new_client(app) as staff:
        assert (await sign_in(staff, session, staff_phone)).status_code == 303
        refused = await form_post(staff, url, url, {"person": w.phone, "confirm": "1"})
        assert refused.status_code == 422 and "member of 1 organisation" in refused.text
        unconfirmed = await form_post(staff, url, url, {"person": w.phone})
        assert unconfirmed.status_code == 422 and 'id="e-confirm"' in unconfirmed.text
        assert (await a_view(session, w))[1][0] == w.phone
        # Once A removes the person, staff may anonymise them.
        assert (await api.delete(f"{w.api('a')}/members/{w.a_member}", headers=w.api_a)).status_code == 204
        done = await form_post(staff, url, url, {"person": w.phone, "confirm": "1"})
        assert done.status_code == 303, done.text
    await session.commit()
    person = await session.get_one(User, w.user_id, populate_existing=True)
    assert (person.phone, person.name, person.email) == (None, None, None) and person.anonymised_at is not None
