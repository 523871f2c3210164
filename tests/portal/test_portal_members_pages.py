"""The users, groups and RFID pages of one organisation: every form, its errors next to the field
with nothing stored, the state changes behind their confirmations, export, and the CSRF refusal."""

from __future__ import annotations

import io
import re

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.chargers.history_models import ChargerCommand, CommandState, UnknownTagSighting
from ladeportal.errors import Conflict
from ladeportal.jobs.models import OutboxTask
from ladeportal.members.groups import create_group, default_group
from ladeportal.members.models import IdTag, Membership, MembershipState, Role, TagState, User, UserGroup
from ladeportal.members.services import MemberInput, add_member
from ladeportal.members.tags import TagInput, add_tag
from ladeportal.messaging.email_models import EmailDelivery
from ladeportal.settings import get_settings
from ladeportal.web.portal.error_texts import error_text
from tests.factories import ACTOR, make_charger, make_member, make_org, make_site, make_tag, mobile_number
from tests.portal.conftest import TwoOrgs, csrf_of, form_post


async def _count(session: AsyncSession, model: type, *where: object) -> int:
    await session.commit()  # ends the read transaction so the next count sees the app's commits
    return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)  # type: ignore[arg-type]


async def _member(session: AsyncSession, membership_id: object) -> dict[str, object]:
    """The stored state, read fresh (the app commits in its own session)."""
    await session.commit()
    row = (
        await session.execute(
            select(
                Membership.name,
                Membership.email,
                Membership.notes,
                User.phone,
                User.language,
                Membership.group_id,
                Membership.parking_spot,
                Membership.state,
                Membership.removed_at,
            )
            .join(User, User.id == Membership.user_id)
            .where(Membership.id == membership_id)
        )
    ).one()
    return dict(row._mapping)


def _field_error(html: str, field: str) -> str:
    match = re.search(rf'id="e-{field}">([^<]+)<', html)
    assert match, f"no error shown next to {field}"
    return match.group(1)


async def test_add_a_user_by_number_in_any_notation(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    c, base = two_orgs.admin_a.client, f"/portal/o/{two_orgs.org_a.id}"
    phone = mobile_number()
    spaced = f"0047 {phone[3:6]} {phone[6:8]} {phone[8:]}"
    response = await form_post(c, f"{base}/users/new", f"{base}/users/new", {"phone": spaced, "send_invite": "1"})
    assert response.status_code == 303, response.text
    membership = await session.scalar(select(Membership).join(User).where(User.phone == phone))
    assert membership is not None and membership.state == MembershipState.invited
    assert await _count(session, OutboxTask, OutboxTask.kind == "sms.send") >= 1
    listing = await c.get(f"{base}/users")
    assert "Uten navn" in listing.text and 'data-state="invited"' in listing.text
    # The same number again is refused next to the field; nothing is duplicated.
    again = await form_post(c, f"{base}/users/new", f"{base}/users/new", {"phone": phone, "name": "Ola"})
    assert again.status_code == 422
    assert _field_error(again.text, "phone") == f"{phone} er allerede medlem av denne organisasjonen."
    assert await _count(session, User, User.phone == phone) == 1


async def test_a_person_of_another_organisation_joins_instead_of_being_duplicated(
    two_orgs: TwoOrgs, session: AsyncSession
) -> None:
    c, base = two_orgs.admin_a.client, f"/portal/o/{two_orgs.org_a.id}"
    response = await form_post(c, f"{base}/users/new", f"{base}/users/new", {"phone": two_orgs.admin_b.phone})
    assert response.status_code == 303
    assert await _count(session, User, User.phone == two_orgs.admin_b.phone) == 1
    assert await _count(session, Membership, Membership.organization_id == two_orgs.org_a.id) == 3


async def test_bad_numbers_are_explained_next_to_the_field(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    c, base = two_orgs.admin_a.client, f"/portal/o/{two_orgs.org_a.id}"
    before = await _count(session, User)
    cases = {
        "": "Mobilnummer må fylles ut.",
        "12345": "12345 er ikke et gyldig telefonnummer.",
        "22 12 34 56": "22 12 34 56 er ikke et mobilnummer; innloggingskoden sendes på SMS.",
        "abc": "abc er ikke et telefonnummer.",
    }
    for raw, expected in cases.items():
        response = await form_post(c, f"{base}/users/new", f"{base}/users/new", {"phone": raw})
        assert response.status_code == 422, raw
        assert expected in _field_error(response.text, "phone"), (raw, response.text)
    response = await form_post(
        c, f"{base}/users/new", f"{base}/users/new", {"phone": mobile_number(), "group_id": "not-a-group"}
    )
    assert response.status_code == 422 and _field_error(response.text, "group_id")
    assert await _count(session, User) == before


async def test_the_list_searches_filters_and_pages(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    org = two_orgs.org_a
    c, base = two_orgs.admin_a.client, f"/portal/o/{org.id}"
    group = await create_group(session, ACTOR, org.id, "Garasje B")
    for i in range(55):
        await make_member(session, org, name=f"Beboer {i:02d}", group_id=group.id if i < 5 else None)
    nameless = await make_member(session, org, name=None)
    await make_tag(session, org, nameless, uid="04ABCDEF")
    first = await c.get(f"{base}/users")
    assert first.text.count('data-testid="user-row"') == 50 and 'rel="next"' in first.text
    second = await c.get(f"{base}/users?page=2")
    assert second.text.count('data-testid="user-row"') == 8
    assert (await c.get(f"{base}/users?q=beboer%2003")).text.count('data-testid="user-row"') == 1
    assert (await c.get(f"{base}/users?group={group.id}")).text.count('data-testid="user-row"') == 5
    found = await c.get(f"{base}/users?state=without_name")
    assert found.text.count('data-testid="user-row"') == 1 and "04ABCDEF" in found.text
    assert (await c.get(f"{base}/users?tag=04:ab:cd")).text.count('data-testid="user-row"') == 1
    # Nonsense in the query is ignored, not an error page.
    assert (await c.get(f"{base}/users?state=nope&group=xyz&page=-3")).status_code == 200


async def test_edit_a_member_and_bad_input_stores_nothing(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    org = two_orgs.org_a
    c, base = two_orgs.admin_a.client, f"/portal/o/{org.id}"
    group = await create_group(session, ACTOR, org.id, "Gjester")
    member = await make_member(session, org, name="Kari")
    url = f"{base}/users/{member.id}"
    ok: dict[str, object] = {
        "name": "Kari Nordmann",
        "email": "kari@example.no",
        "role": "member",
        "group_id": str(group.id),
        "parking_spot": "P14",
        "notes": "Har to biler",
    }
    for bad, field in (
        ({"email": "kari.example.no"}, "email"),
        ({"role": "king"}, "role"),
        ({"notes": "x" * 1001}, "notes"),
        ({"parking_spot": "x" * 41}, "parking_spot"),
        ({"name": "x" * 201}, "name"),
        ({"group_id": "123"}, "group_id"),
    ):
        response = await form_post(c, url, url, {**ok, **bad})
        assert response.status_code == 422, bad
        assert _field_error(response.text, field)
    stored = await _member(session, member.id)
    assert stored["name"] == "Kari" and stored["group_id"] is None
    assert "Notater" in (await c.get(url)).text
    response = await form_post(c, url, url, ok)
    assert response.status_code == 303
    stored = await _member(session, member.id)
    assert (stored["name"], stored["email"], stored["group_id"], stored["parking_spot"], stored["notes"]) == (
        "Kari Nordmann",
        "kari@example.no",
        group.id,
        "P14",
        "Har to biler",
    )
    # The person's language is their own: an organisation's form cannot change it.
    await form_post(c, url, url, {**ok, "language": "en"})
    assert (await _member(session, member.id))["language"] == "nb"
    # An admin cannot demote themselves (they would lose the page halfway through).
    me = await session.scalar(select(Membership).join(User).where(User.phone == two_orgs.admin_a.phone))
    assert me is not None
    response = await form_post(c, f"{base}/users/{me.id}", f"{base}/users/{me.id}", {**ok, "role": "member"})
    assert response.status_code == 422 and _field_error(response.text, "role")


async def test_block_unblock_and_remove_go_through_a_confirmation(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    org = two_orgs.org_a
    c, base = two_orgs.admin_a.client, f"/portal/o/{org.id}"
    member = await make_member(session, org, name="Per")
    tag = await make_tag(session, org, member)
    confirm = await c.get(f"{base}/users/{member.id}/block")
    assert confirm.status_code == 200 and "Per" in confirm.text
    response = await c.post(f"{base}/users/{member.id}/block", data={"csrf_token": csrf_of(confirm.text)})
    assert response.status_code == 303
    await session.commit()
    await session.refresh(member)
    assert member.state == MembershipState.blocked
    assert 'data-state="blocked"' in (await c.get(f"{base}/users")).text
    confirm = await c.get(f"{base}/users/{member.id}/unblock")
    await c.post(f"{base}/users/{member.id}/unblock", data={"csrf_token": csrf_of(confirm.text)})
    await session.refresh(member)
    assert member.state == MembershipState.invited
    confirm = await c.get(f"{base}/users/{member.id}/remove")
    assert "anonymisert" not in confirm.text and "andre organisasjoner berøres ikke" in confirm.text
    await c.post(f"{base}/users/{member.id}/remove", data={"csrf_token": csrf_of(confirm.text)})
    stored = await _member(session, member.id)
    await session.refresh(tag)
    # The membership ends; the person stays (anonymising is platform staff's explicit operation).
    assert stored["removed_at"] is not None and stored["phone"] is not None and tag.state == TagState.blocked
    assert (await c.get(f"{base}/users/{member.id}")).status_code == 404
    # Nobody blocks or removes themselves by accident.
    me = await session.scalar(select(Membership).join(User).where(User.phone == two_orgs.admin_a.phone))
    assert me is not None
    page = await c.get(f"{base}/users/{me.id}")
    assert f"/users/{me.id}/block" not in page.text
    await c.post(f"{base}/users/{me.id}/block", data={"csrf_token": csrf_of(page.text)})
    await session.refresh(me)
    assert me.state != MembershipState.blocked


async def test_resend_invitation_is_offered_and_rate_limited(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    c, base = two_orgs.admin_a.client, f"/portal/o/{two_orgs.org_a.id}"
    member = await make_member(session, two_orgs.org_a)
    listing = await c.get(f"{base}/users")
    assert f"/users/{member.id}/invite" in listing.text
    response = await c.post(
        f"{base}/users/{member.id}/invite", data={"csrf_token": csrf_of(listing.text), "back": "list"}
    )
    assert response.status_code == 303
    page = await c.get(response.headers["location"])
    assert "mindre enn 10 minutter" in page.text
    assert (await c.get(f"/portal/o/{two_orgs.org_a.id}/users", headers={})).status_code == 200


async def test_bulk_move_to_a_group(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    org = two_orgs.org_a
    c, base = two_orgs.admin_a.client, f"/portal/o/{org.id}"
    group = await create_group(session, ACTOR, org.id, "Leietakere")
    members = [await make_member(session, org) for _ in range(3)]
    listing = await c.get(f"{base}/users")
    response = await c.post(
        f"{base}/users/move",
        data={
            "csrf_token": csrf_of(listing.text),
            "group_id": str(group.id),
            "member": [str(m.id) for m in members[:2]],
        },
    )
    assert response.status_code == 303
    assert await _count(session, Membership, Membership.group_id == group.id) == 2
    # Back to the default group.
    default = await default_group(session, org.id)
    await c.post(
        f"{base}/users/move",
        data={"csrf_token": csrf_of(listing.text), "group_id": str(default.id), "member": str(members[0].id)},
    )
    assert await _count(session, Membership, Membership.group_id == group.id) == 1


async def test_export_as_csv_and_xlsx(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    c, base = two_orgs.admin_a.client, f"/portal/o/{two_orgs.org_a.id}"
    await make_member(session, two_orgs.org_a, name="Åse Ødegård")
    csv = await c.get(f"{base}/users/export.csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "Åse Ødegård" in csv.content.decode("utf-8-sig") and "Mobilnummer" in csv.content.decode("utf-8-sig")
    xlsx = await c.get(f"{base}/users/export.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None and any(row[1] == "Åse Ødegård" for row in sheet.iter_rows(values_only=True))
    assert (await c.get(f"{base}/users/export.pdf")).status_code == 404
    assert (await two_orgs.finance_a.client.get(f"{base}/users/export.csv")).status_code == 200


async def _upload(c: httpx.AsyncClient, base: str, area: str, name: str, content: bytes) -> httpx.Response:
    page = await c.get(f"{base}/{area}/import")
    return await c.post(
        f"{base}/{area}/import", data={"csrf_token": csrf_of(page.text)}, files={"file": (name, content, "text/csv")}
    )


def _run_form(html: str) -> dict[str, str]:
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))
    return {k: v for k, v in fields.items() if k != "csrf_token"}


async def test_import_dry_run_shows_every_row_then_imports_once(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    org = two_orgs.org_a
    c, base = two_orgs.admin_a.client, f"/portal/o/{org.id}"
    await create_group(session, ACTOR, org.id, "Garasje")
    good = [mobile_number() for _ in range(3)]
    rows = [
        f"{good[0]};Kari;kari@example.no;Garasje;04A1B2C3;P1",
        f"{good[1]};Ola;;;;",
        "12345;Feil;;;;",
        f"{good[2]};Per;;Finnes ikke;;",
    ]
    content = ("Mobilnummer;Navn;E-post;Gruppe;RFID;Parkeringsplass\n" + "\n".join(rows)).encode()
    dry = await _upload(c, base, "users", "medlemmer.csv", content)
    assert dry.status_code == 200, dry.text
    assert dry.text.count('data-testid="import-row"') == 4
    assert 'data-status="error"' in dry.text and "Finnes ikke" in dry.text
    assert "12345 er ikke et gyldig telefonnummer." in dry.text
    assert await _count(session, Membership, Membership.organization_id == org.id) == 2  # nothing stored yet
    # Fixed file: the errors are gone and the import runs in one go.
    fixed = content.replace(b"12345", mobile_number().encode()).replace(b"Finnes ikke", b"Garasje")
    dry = await _upload(c, base, "users", "medlemmer.csv", fixed)
    assert 'data-status="error"' not in dry.text
    done = await c.post(f"{base}/users/import/run", data={**_run_form(dry.text), "csrf_token": csrf_of(dry.text)})
    assert done.status_code == 200 and 'data-testid="count-added">4<' in done.text
    assert await _count(session, Membership, Membership.organization_id == org.id) == 6
    assert await _count(session, IdTag, IdTag.uid == "04A1B2C3") == 1
    # The same file again changes nothing.
    again = await _upload(c, base, "users", "medlemmer.csv", fixed)
    assert 'data-testid="count-unchanged">4<' in again.text and "/users/import/run" not in again.text


async def test_import_refuses_bad_files_next_to_the_field(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    c, base = two_orgs.admin_a.client, f"/portal/o/{two_orgs.org_a.id}"
    page = await c.get(f"{base}/users/import")
    missing = await c.post(
        f"{base}/users/import", data={"csrf_token": csrf_of(page.text)}, files={"file": ("", b"", "text/csv")}
    )
    assert missing.status_code == 422 and _field_error(missing.text, "file")
    no_phone = await _upload(c, base, "users", "x.csv", b"Navn;E-post\nKari;k@example.no\n")
    assert no_phone.status_code == 422 and "Mangler kolonne" in _field_error(no_phone.text, "file")
    ods = await _upload(c, base, "users", "x.ods", b"whatever")
    assert ods.status_code == 422
    broken = await c.post(
        f"{base}/users/import/run", data={"csrf_token": csrf_of(page.text), "content": "!!", "filename": "x.csv"}
    )
    assert broken.status_code == 422
    assert await _count(session, Membership, Membership.organization_id == two_orgs.org_a.id) == 2


async def test_a_large_import_streams_its_progress(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    c, base = two_orgs.admin_a.client, f"/portal/o/{two_orgs.org_a.id}"
    sms_before = await _count(session, OutboxTask, OutboxTask.kind == "sms.send")
    lines = ["Mobilnummer;Navn"] + [f"+4741{i:06d};Person {i}" for i in range(1200)]
    dry = await _upload(c, base, "users", "stor.csv", "\n".join(lines).encode())
    assert dry.text.count('class="import-step" data-phase="checking"') >= 3  # every 500 rows and the end
    done = await c.post(f"{base}/users/import/run", data={**_run_form(dry.text), "csrf_token": csrf_of(dry.text)})
    assert 'data-phase="saving"' in done.text and 'data-testid="count-added">1200<' in done.text
    assert "send_invites" not in _run_form(dry.text)  # unchecked box: no SMS to 1,200 people in a test
    assert await _count(session, OutboxTask, OutboxTask.kind == "sms.send") == sms_before


async def test_groups_create_edit_and_delete(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    org = two_orgs.org_a
    c, base = two_orgs.admin_a.client, f"/portal/o/{org.id}"
    site = await make_site(session, org, name="Nord")
    charger = await make_charger(session, await make_site(session, org, name="Sør"))
    response = await form_post(
        c,
        f"{base}/groups/new",
        f"{base}/groups/new",
        {
            "name": "Gjester",
            "description": "Besøkende",
            "access": "chosen",
            "site_ids": str(site.id),
            "charge_point_ids": str(charger.charge_point.id),
        },
    )
    assert response.status_code == 303
    listing = await c.get(f"{base}/groups")
    assert "Gjester" in listing.text and "Nord" in listing.text and "Standard" in listing.text
    group = await session.scalar(select(UserGroup).where(UserGroup.name == "Gjester"))
    assert group is not None and not group.all_sites
    for data, field in (
        ({"name": ""}, "name"),
        ({"name": "Standard"}, "name"),
        ({"name": "X", "access": "chosen"}, "site_ids"),
        ({"name": "X", "description": "d" * 501}, "description"),
    ):
        response = await form_post(c, f"{base}/groups/new", f"{base}/groups/new", {**data})
        assert response.status_code == 422, data
        assert _field_error(response.text, field)
    url = f"{base}/groups/{group.id}/edit"
    response = await form_post(c, url, url, {"name": "Gjester og venner", "access": "all"})
    assert response.status_code == 303
    await session.refresh(group)
    assert group.all_sites and group.name == "Gjester og venner"
    default = await default_group(session, org.id)
    assert (await c.get(f"{base}/groups/{default.id}/delete")).status_code == 303
    page = await c.get(f"{base}/groups/{group.id}/delete")
    response = await c.post(f"{base}/groups/{default.id}/delete", data={"csrf_token": csrf_of(page.text)})
    assert response.status_code == 303
    response = await c.post(f"{base}/groups/{group.id}/delete", data={"csrf_token": csrf_of(page.text)})
    assert response.status_code == 303
    assert await _count(session, UserGroup, UserGroup.organization_id == org.id, UserGroup.deleted_at.is_(None)) == 1


async def test_register_tags_and_bad_uids(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    org = two_orgs.org_a
    c, base = two_orgs.admin_a.client, f"/portal/o/{org.id}"
    member = await make_member(session, org, name="Kari")
    group = await create_group(session, ACTOR, org.id, "Gjester")
    new = f"{base}/rfid/new"
    phone = (await session.scalar(select(User.phone).where(User.id == member.user_id))) or ""
    response = await form_post(
        c,
        new,
        new,
        {"uid": "04:a1:b2:c3", "owner": "member", "member": phone, "label": "Nøkkel 1", "expires_on": "2030-12-31"},
    )
    assert response.status_code == 303
    tag = await session.scalar(select(IdTag).where(IdTag.uid == "04A1B2C3"))
    assert tag is not None and tag.membership_id == member.id and tag.expires_at is not None
    for data, field in (
        ({"uid": "xyz", "member": phone}, "uid"),
        ({"uid": "04A1B2C3", "member": phone}, "uid"),
        ({"uid": "04A1B2C4", "member": ""}, "member"),
        ({"uid": "04A1B2C4", "member": "12"}, "member"),
        ({"uid": "04A1B2C4", "owner": "group", "group_id": ""}, "group_id"),
        ({"uid": "04A1B2C4", "member": phone, "expires_on": "31/12"}, "expires_on"),
    ):
        response = await form_post(c, new, new, {"owner": "member", **data})
        assert response.status_code == 422, data
        assert _field_error(response.text, field), data
    response = await form_post(c, new, new, {"uid": "1234567890", "owner": "group", "group_id": str(group.id)})
    assert response.status_code == 303
    assert await _count(session, IdTag, IdTag.uid == "499602D2", IdTag.group_id == group.id) == 1
    listing = await c.get(f"{base}/rfid")
    assert listing.text.count('data-testid="tag-row"') == 2 and "Nøkkel 1" in listing.text
    response = await c.post(f"{base}/rfid/{tag.id}/block", data={"csrf_token": csrf_of(listing.text)})
    assert response.status_code == 303
    await session.refresh(tag)
    assert tag.state == TagState.blocked
    edit = f"{base}/rfid/{tag.id}/edit"
    assert "2030-12-31" in (await c.get(edit)).text
    response = await form_post(c, edit, edit, {"owner": "group", "group_id": str(group.id), "label": ""})
    assert response.status_code == 303
    await session.refresh(tag)
    assert tag.membership_id is None and tag.group_id == group.id and tag.expires_at is None


async def test_claim_an_unknown_tag_seen_on_a_charger(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    org = two_orgs.org_a
    c, base = two_orgs.admin_a.client, f"/portal/o/{org.id}"
    charger = await make_charger(session, await make_site(session, org), "GARASJE-1")
    session.add(UnknownTagSighting(charge_point_id=charger.charge_point.id, uid="04C0FFEE", seen_count=2))
    session.add(
        ChargerCommand(
            organization_id=org.id,
            charge_point_id=charger.charge_point.id,
            action="SendLocalList",
            payload={"listVersion": 1},
            state=CommandState.answered,
            response={"status": "Accepted"},
            actor_label="test",
        )
    )
    await session.commit()
    sighting = await session.scalar(select(UnknownTagSighting))
    assert sighting is not None
    listing = await c.get(f"{base}/rfid")
    assert 'data-uid="04C0FFEE"' in listing.text and 'data-testid="sync-row"' in listing.text
    url = f"{base}/rfid/unknown/{sighting.id}/claim"
    bad = await c.post(url, data={"csrf_token": csrf_of(listing.text), "owner": "member", "member": "+4799999999"})
    assert bad.status_code == 422 and f'id="c{sighting.id}-e-member"' in bad.text
    group = await create_group(session, ACTOR, org.id, "Besøk")
    response = await c.post(
        url, data={"csrf_token": csrf_of(listing.text), "owner": "group", "group_id": str(group.id)}
    )
    assert response.status_code == 303
    assert await _count(session, IdTag, IdTag.uid == "04C0FFEE", IdTag.group_id == group.id) == 1
    assert (
        'data-uid="04C0FFEE"'
        not in (await c.get(f"{base}/rfid")).text.split('id="local-lists"')[0].split('data-testid="tag-row"')[0]
    )


async def test_tag_import_dry_run_and_import(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    org = two_orgs.org_a
    c, base = two_orgs.admin_a.client, f"/portal/o/{org.id}"
    member = await add_member(session, ACTOR, org.id, MemberInput(phone=mobile_number(), send_invite=False))
    phone = (await session.scalar(select(User.phone).where(User.id == member.user_id))) or ""
    content = f"UID;Mobilnummer;Gruppe\n04AA0001;{phone};\n04AA0002;;Standard\nnope;{phone};\n".encode()
    dry = await _upload(c, base, "rfid", "brikker.csv", content)
    assert dry.text.count('data-testid="import-row"') == 3 and 'data-status="error"' in dry.text
    done = await c.post(f"{base}/rfid/import/run", data={**_run_form(dry.text), "csrf_token": csrf_of(dry.text)})
    assert 'data-testid="count-added">2<' in done.text
    assert await _count(session, IdTag, IdTag.organization_id == org.id) == 2


async def test_a_post_without_csrf_token_is_refused(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    c, base = two_orgs.admin_a.client, f"/portal/o/{two_orgs.org_a.id}"
    member = await make_member(session, two_orgs.org_a)
    before = await _count(session, User)
    for url, data in (
        (f"{base}/users/new", {"phone": mobile_number()}),
        (f"{base}/groups/new", {"name": "X"}),
        (f"{base}/rfid/new", {"uid": "04A1B2C3", "member": ""}),
        (f"{base}/users/{member.id}/block", {}),
    ):
        assert (await c.post(url, data=data)).status_code == 403, url
    assert await _count(session, User) == before
    await session.refresh(member)
    assert member.state == MembershipState.invited
    assert await _count(session, UserGroup, UserGroup.name == "X") == 0


async def test_finance_sees_the_lists_without_admin_actions(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    c, base = two_orgs.finance_a.client, f"/portal/o/{two_orgs.org_a.id}"
    await make_member(session, two_orgs.org_a)
    for url in ("/users", "/groups", "/rfid"):
        page = await c.get(base + url)
        assert page.status_code == 200, url
        assert "/new" not in page.text and "/import" not in page.text, url


async def test_domain_messages_with_values_are_translated() -> None:
    from ladeportal import i18n

    i18n.set_language("nb")
    taken = Conflict("Tag 04A1B2C3 is already registered.", code="tag.already_registered", params={"uid": "04A1B2C3"})
    assert error_text(taken) == "Brikke 04A1B2C3 er allerede registrert."
    assert error_text(Conflict("Something the domain says now.")) == "Something the domain says now."


async def test_the_nav_shows_the_new_sections(two_orgs: TwoOrgs) -> None:
    page = await two_orgs.admin_a.client.get(f"/portal/o/{two_orgs.org_a.id}/")
    for path in ("/users", "/groups", "/rfid"):
        assert f'href="/portal/o/{two_orgs.org_a.id}{path}"' in page.text


async def test_a_member_in_another_org_with_tags_is_not_listed(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    other = await make_org(session)
    outsider = await make_member(session, other, name="Utenforstående", role=Role.member)
    await add_tag(session, ACTOR, other.id, TagInput(uid="04BEEF01", membership_id=outsider.id))
    c, base = two_orgs.admin_a.client, f"/portal/o/{two_orgs.org_a.id}"
    assert "Utenforstående" not in (await c.get(f"{base}/users?q=Utenfor")).text
    assert "04BEEF01" not in (await c.get(f"{base}/rfid?q=04BEEF")).text


async def test_resend_lets_the_admin_choose_email_only_when_the_member_has_an_address(
    two_orgs: TwoOrgs, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LADEPORTAL_EMAIL_PROVIDER", "console")
    get_settings.cache_clear()
    try:
        org = two_orgs.org_a
        c, base = two_orgs.admin_a.client, f"/portal/o/{org.id}"
        without = await make_member(session, org)
        assert 'name="channel"' not in (await c.get(f"{base}/users/{without.id}")).text
        member = await add_member(
            session, ACTOR, org.id, MemberInput(phone=mobile_number(), email="kari@solbakken.no", send_invite=False)
        )
        page = await c.get(f"{base}/users/{member.id}")
        assert 'name="channel"' in page.text and 'value="email"' in page.text
        sms_before = await _count(session, OutboxTask, OutboxTask.kind == "sms.send")
        response = await c.post(
            f"{base}/users/{member.id}/invite", data={"csrf_token": csrf_of(page.text), "channel": "email"}
        )
        assert response.status_code == 303
        assert "kari@solbakken.no" in (await c.get(response.headers["location"])).text
        assert await _count(session, OutboxTask, OutboxTask.kind == "sms.send") == sms_before
        assert await _count(session, EmailDelivery, EmailDelivery.recipient == "kari@solbakken.no") == 1
    finally:
        get_settings.cache_clear()
