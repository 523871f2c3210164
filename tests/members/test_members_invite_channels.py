"""Invitations of a bulk import go by the same channel rule as a single one (e-mail when the row has an
address and the choice says so, SMS otherwise) under the same SMS limits; the API's resend takes a
channel, and a bad one is a clear error that changes nothing."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.base import utcnow
from ladeportal.db.engine import Database
from ladeportal.errors import ValidationFailed
from ladeportal.jobs.models import OutboxTask
from ladeportal.members.invites import invite_routes
from ladeportal.members.member_import import import_members
from ladeportal.members.models import Membership
from ladeportal.messaging import org_limits
from ladeportal.messaging.email_models import EmailDelivery
from ladeportal.messaging.models import OrgSmsSend
from ladeportal.messaging.queue import EMAIL_TASK
from ladeportal.platform.api_tokens import create_api_token
from ladeportal.settings import get_settings, load_settings
from tests.factories import ACTOR, make_member, make_org

KARI, OLA, PER = "+4741000001", "+4741000002", "+4741000003"
# Kari and Per have an address, Ola has none.
FILE = b"Mobil;Navn;E-post\n41000001;Kari;kari@sol.no\n41000002;Ola;\n41000003;Per;per@sol.no\n"


@pytest.fixture
def email_on(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    def apply(provider: str) -> None:
        monkeypatch.setenv("LADEPORTAL_EMAIL_PROVIDER", provider)
        get_settings.cache_clear()

    apply("console")
    yield apply
    get_settings.cache_clear()


async def _sent(session: AsyncSession) -> tuple[list[str], list[str]]:
    """(numbers sent an invitation SMS, addresses sent an invitation e-mail), sorted."""
    await session.commit()
    tasks = (await session.scalars(select(OutboxTask))).all()
    sms = sorted(t.payload["to"] for t in tasks if t.kind == "sms.send" and t.payload.get("purpose") == "invite")
    emails = sorted((await session.scalars(select(EmailDelivery.recipient))).all())
    assert len(emails) == len([t for t in tasks if t.kind == EMAIL_TASK])
    return sms, emails


def test_one_rule_for_every_invitation() -> None:
    assert invite_routes("sms", True) == (True, False)
    assert invite_routes("both", True) == (True, True)
    assert invite_routes("both", False) == (True, False)
    assert invite_routes("email", True) == (False, True)
    assert invite_routes("email", False) == (True, False)  # no address: the SMS still brings them in


@pytest.mark.parametrize(
    ("channel", "sms", "emails"),
    [
        ("sms", [KARI, OLA, PER], []),
        ("email", [OLA], ["kari@sol.no", "per@sol.no"]),
        ("both", [KARI, OLA, PER], ["kari@sol.no", "per@sol.no"]),
    ],
)
async def test_an_import_invites_by_the_chosen_channel(
    session: AsyncSession, email_on: Callable[[str], None], channel: str, sms: list[str], emails: list[str]
) -> None:
    org = await make_org(session)
    report = await import_members(session, ACTOR, org.id, FILE, "m.csv", invite_channel=channel)
    assert report.committed and report.counts["added"] == 3
    assert await _sent(session) == (sms, emails)
    counts = (await session.scalars(select(Membership.invite_count).where(Membership.organization_id == org.id))).all()
    assert sorted(counts) == [1, 1, 1]


async def test_with_email_switched_off_every_row_gets_the_sms(
    session: AsyncSession, email_on: Callable[[str], None]
) -> None:
    email_on("none")
    org = await make_org(session)
    await import_members(session, ACTOR, org.id, FILE, "m.csv", invite_channel="email")
    assert await _sent(session) == ([KARI, OLA, PER], [])


async def test_the_sms_limits_count_only_the_sms(
    session: AsyncSession, email_on: Callable[[str], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(org_limits, "get_settings", lambda: load_settings(org_sms_per_day=1))
    org = await make_org(session)
    await import_members(session, ACTOR, org.id, FILE, "m.csv", invite_channel="email")
    # Two go by e-mail and do not use the day's one SMS, which Ola gets.
    assert await _sent(session) == ([OLA], ["kari@sol.no", "per@sol.no"])
    other = await make_org(session)
    await import_members(session, ACTOR, other.id, FILE, "m.csv", invite_channel="sms")
    sms, _ = await _sent(session)
    assert len(sms) == 2  # Ola's first, and one of the second import's three: the cap is per organisation


async def test_a_bad_channel_is_refused_and_nothing_is_imported(
    session: AsyncSession, email_on: Callable[[str], None]
) -> None:
    org = await make_org(session)
    with pytest.raises(ValidationFailed) as caught:
        await import_members(session, ACTOR, org.id, FILE, "m.csv", invite_channel="fax")
    assert caught.value.code == "invite.channel_unknown" and caught.value.field == "channel"
    assert await _sent(session) == ([], [])
    count = await session.scalar(
        select(func.count()).select_from(Membership).where(Membership.organization_id == org.id)
    )
    assert count == 0


@dataclass
class ApiOrg:
    id: str
    with_email: str
    without_email: str
    auth: dict[str, str]


@pytest.fixture
async def api_orgs(db: Database) -> tuple[ApiOrg, ApiOrg]:
    out = []
    async with db.session() as s:
        for _ in range(2):
            org = await make_org(s)
            kari = await make_member(s, org, name="Kari")
            ola = await make_member(s, org, name="Ola")
            await s.execute(update(Membership).where(Membership.id == kari.id).values(email="kari@sol.no"))
            # Their first invitation went out long ago: a resend is allowed now.
            await s.execute(
                update(Membership)
                .where(Membership.organization_id == org.id)
                .values(invite_sent_at=utcnow() - timedelta(hours=1))
            )
            await s.execute(update(OrgSmsSend).values(sent_at=utcnow() - timedelta(hours=1)))
            await s.commit()
            token = await create_api_token(s, ACTOR, org.id, "ci", ["read", "write"])
            out.append(ApiOrg(str(org.id), str(kari.id), str(ola.id), {"Authorization": f"Bearer {token.secret}"}))
    return out[0], out[1]


async def _state(db: Database) -> tuple[Any, ...]:
    async with db.session() as s:
        counts = (await s.execute(select(Membership.id, Membership.invite_count).order_by(Membership.id))).all()
        tasks = await s.scalar(select(func.count()).select_from(OutboxTask))
    return tuple(counts), tasks


async def test_the_api_resends_by_the_channel_asked_for(
    client: httpx.AsyncClient, db: Database, api_orgs: tuple[ApiOrg, ApiOrg], email_on: Callable[[str], None]
) -> None:
    a, _ = api_orgs
    base = f"/api/v1/orgs/{a.id}/members"
    async with db.session() as s:
        before_sms, before_emails = await _sent(s)
    r = await client.post(f"{base}/{a.with_email}/invite", json={"channel": "email"}, headers=a.auth)
    assert r.status_code == 200
    async with db.session() as s:
        assert await _sent(s) == (before_sms, sorted([*before_emails, "kari@sol.no"]))
    async with db.session() as s:
        count = await s.scalar(select(Membership.invite_count).where(Membership.id == uuid.UUID(a.with_email)))
    assert count == 2
    # No body: both, as before.
    r = await client.post(f"{base}/{a.without_email}/invite", headers=a.auth)
    assert r.status_code == 200, r.text
    async with db.session() as s:
        sms, _ = await _sent(s)
    assert len(sms) == len(before_sms) + 1


async def test_a_bad_resend_channel_is_a_clear_error_that_changes_nothing(
    client: httpx.AsyncClient, db: Database, api_orgs: tuple[ApiOrg, ApiOrg], email_on: Callable[[str], None]
) -> None:
    a, _ = api_orgs
    base = f"/api/v1/orgs/{a.id}/members"
    before = await _state(db)
    r = await client.post(f"{base}/{a.with_email}/invite", json={"channel": "fax"}, headers=a.auth)
    assert r.status_code == 422
    assert (r.json()["code"], r.json()["field"]) == ("invite.channel_unknown", "channel")
    assert r.json()["message"] == "Choose SMS, e-mail or both."
    r = await client.post(f"{base}/{a.without_email}/invite", json={"channel": "email"}, headers=a.auth)
    assert r.status_code == 409 and r.json()["code"] == "invite.no_email"
    r = await client.post(f"{base}/{a.with_email}/invite", json={"channel": "sms", "extra": 1}, headers=a.auth)
    assert r.status_code == 422
    assert await _state(db) == before


async def test_an_outsider_resends_and_imports_nothing(
    client: httpx.AsyncClient, db: Database, api_orgs: tuple[ApiOrg, ApiOrg], email_on: Callable[[str], None]
) -> None:
    a, b = api_orgs
    before = await _state(db)
    for org_id in (a.id, b.id):
        r = await client.post(
            f"/api/v1/orgs/{org_id}/members/{a.with_email}/invite", json={"channel": "sms"}, headers=b.auth
        )
        assert r.status_code == 404
    files = {"file": ("m.csv", FILE, "text/csv")}
    r = await client.post(
        f"/api/v1/orgs/{a.id}/members/import", params={"invite_channel": "email"}, files=files, headers=b.auth
    )
    assert r.status_code == 404
    assert await _state(db) == before


async def test_the_api_import_takes_the_channel(
    client: httpx.AsyncClient, db: Database, api_orgs: tuple[ApiOrg, ApiOrg], email_on: Callable[[str], None]
) -> None:
    a, _ = api_orgs
    files = {"file": ("m.csv", FILE, "text/csv")}
    url = f"/api/v1/orgs/{a.id}/members/import"
    before = await _state(db)
    r = await client.post(url, params={"invite_channel": "post"}, files=files, headers=a.auth)
    assert r.status_code == 422 and r.json()["code"] == "invite.channel_unknown"
    assert await _state(db) == before
    r = await client.post(url, params={"invite_channel": "email"}, files=files, headers=a.auth)
    assert r.status_code == 200 and r.json()["counts"]["added"] == 3
    async with db.session() as s:
        sms, emails = await _sent(s)
    assert OLA in sms and KARI not in sms and PER not in sms
    assert {"kari@sol.no", "per@sol.no"} <= set(emails)
