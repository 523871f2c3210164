"""The charger tools in the portal and the JSON API: rename and move, a new password and retirement (each
asked first with its consequence), restarts and unlocks that would end charging, firmware and diagnostics,
remote start for a member; Unavailable is never counted as free; live power on the lists. Every new page
and endpoint answers another organisation with 404."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal import settings as settings_module
from ladeportal.chargers.credentials import verify_password
from ladeportal.chargers.models import ChargePoint, CommissioningState
from ladeportal.db.base import utcnow
from ladeportal.platform.api_tokens import create_api_token
from ladeportal.sessions.models import ChargingSession, MeterReading, SessionState
from ladeportal.settings import get_settings
from ladeportal.web.portal.dashboard_model import dashboard
from ladeportal.web.portal.readmodels import charger_rows, state_of
from tests.factories import ACTOR, make_member, make_site, make_tag
from tests.portal.conftest import TwoOrgs, csrf_of, new_client
from tests.portal.ocpp_rows import all_by_testid, by_testid, charger, charging_session

HEARTBEAT = 300


@pytest.fixture(autouse=True)
def short_command_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """No gateway holds these chargers, so a command waits the whole timeout for one to claim it."""
    settings = get_settings().model_copy(update={"ocpp_command_timeout": 0.3})
    monkeypatch.setattr(settings_module, "get_settings", lambda: settings)


def test_only_an_available_connector_makes_a_charger_free() -> None:
    now = utcnow()

    def state(*statuses: str) -> str:
        return state_of("active", now, set(statuses), now, HEARTBEAT)

    assert state("Unavailable", "Unavailable") == "unavailable"
    assert state("Unavailable", "Unknown") == "unavailable"
    assert state("Unavailable", "Available") == "available"
    assert state("Preparing", "Unavailable") == "occupied"
    assert state("Reserved") == "occupied"
    assert state("Charging", "Unavailable") == "charging"


async def test_unavailable_chargers_are_not_shown_or_counted_as_free(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    org = two_orgs.org_a
    site = await make_site(session, org)
    now = utcnow()
    off = await charger(session, site, "OFF-1", seen=now, statuses=("Unavailable", "Unavailable"))
    free = await charger(session, site, "FREE-1", seen=now, statuses=("Unavailable", "Available"))
    rows = {r.id: r.state for r in await charger_rows(session, org.id, HEARTBEAT)}
    assert rows == {off: "unavailable", free: "available"}
    counts = (await dashboard(session, org, HEARTBEAT)).counts
    assert (counts["available"], counts["unavailable"]) == (1, 1)

    c = two_orgs.admin_a.client
    listed = (await c.get(f"/portal/o/{org.id}/chargers?state=available")).text
    assert "FREE-1" in listed and "OFF-1" not in listed
    card = (await c.get(f"/portal/o/{org.id}/chargers/{off}?partial=status")).text
    assert "Utilgjengelig" in card and "Ledig" not in card


async def test_rename_and_move_within_the_organisation_only(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    org = two_orgs.org_a
    site, other_site = await make_site(session, org, name="Nord"), await make_site(session, org, name="Sør")
    foreign_site = await make_site(session, two_orgs.org_b, name="Fremmed")
    cp_id = await charger(session, site, "EDIT-1", seen=None)
    c, url = two_orgs.admin_a.client, f"/portal/o/{org.id}/chargers/{cp_id}/edit"
    form = await c.get(url)
    assert form.status_code == 200 and "Fremmed" not in form.text
    moved = await c.post(
        url, data={"name": "Plass 12", "site_id": str(other_site.id), "csrf_token": csrf_of(form.text)}
    )
    assert moved.status_code == 303
    refused = await c.post(
        url, data={"name": "Plass 12", "site_id": str(foreign_site.id), "csrf_token": csrf_of(form.text)}
    )
    assert refused.status_code == 422
    cp = await session.scalar(
        select(ChargePoint).where(ChargePoint.id == cp_id).execution_options(populate_existing=True)
    )
    assert cp is not None and (cp.name, cp.site_id) == ("Plass 12", other_site.id)


async def test_retire_asks_first_says_what_happens_and_ends_the_running_session(
    two_orgs: TwoOrgs, session: AsyncSession
) -> None:
    org = two_orgs.org_a
    site = await make_site(session, org)
    cp_id = await charger(session, site, "RET-1", seen=utcnow(), statuses=("Charging", "Available"))
    tx = await charging_session(session, site, cp_id, utcnow() - timedelta(minutes=30), running_wh=2500)
    c, url = two_orgs.admin_a.client, f"/portal/o/{org.id}/chargers/{cp_id}/retire"
    confirm = await c.get(url)
    assert "får ikke lenger koble til" in confirm.text
    assert "2,5 kWh" in confirm.text  # the running session it ends
    done = await c.post(url, data={"csrf_token": csrf_of(confirm.text)})
    assert done.status_code == 303 and done.headers["location"].endswith("/chargers")
    row = await session.scalar(
        select(ChargingSession).where(ChargingSession.id == tx).execution_options(populate_existing=True)
    )
    assert row is not None and row.state == SessionState.stopped and row.energy_wh == 2500
    state = await session.scalar(select(ChargePoint.commissioning_state).where(ChargePoint.id == cp_id))
    assert state == CommissioningState.retired


async def test_a_new_password_asks_first_and_is_shown_once(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    org = two_orgs.org_a
    site = await make_site(session, org)
    cp_id = await charger(session, site, "PW-1", seen=None)
    c, url = two_orgs.admin_a.client, f"/portal/o/{org.id}/chargers/{cp_id}/password"
    confirm = await c.get(url)
    assert "slutter å virke med en gang" in confirm.text
    shown = await c.post(url, data={"csrf_token": csrf_of(confirm.text)})
    assert shown.status_code == 200 and shown.headers["cache-control"] == "no-store"
    password = by_testid(shown.text, "ocpp-password")
    assert re.fullmatch(r"[a-z2-9]{4}(-[a-z2-9]{4}){3}", password)
    stored = await session.scalar(
        select(ChargePoint.credential_hash).where(ChargePoint.id == cp_id).execution_options(populate_existing=True)
    )
    assert verify_password(password, stored)


async def test_a_restart_or_unlock_that_would_end_charging_asks_first(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    org = two_orgs.org_a
    site = await make_site(session, org)
    cp_id = await charger(session, site, "RST-1", seen=None, statuses=("Charging", "Available"))
    await charging_session(session, site, cp_id, utcnow() - timedelta(minutes=20), running_wh=4200, id_tag="0A0B0C0D")
    c, url = two_orgs.admin_a.client, f"/portal/o/{org.id}/chargers/{cp_id}"
    token = csrf_of((await c.get(url)).text)
    hx = {"HX-Request": "true"}
    soft = await c.post(f"{url}/commands/reset", headers=hx, data={"type": "Soft", "csrf_token": token})
    assert "0A0B0C0D" in soft.text
    assert "Dette avslutter ladeøkten" in soft.text and "4,2 kWh" in soft.text
    unlock_busy = await c.post(f"{url}/commands/unlock", headers=hx, data={"connector": "1", "csrf_token": token})
    assert 'data-testid="command-confirm"' in unlock_busy.text
    unlock_free = await c.post(f"{url}/commands/unlock", headers=hx, data={"connector": "2", "csrf_token": token})
    assert 'data-testid="command-result"' in unlock_free.text  # nothing to end: sent at once
    confirmed = await c.post(
        f"{url}/commands/reset", headers=hx, data={"type": "Soft", "confirmed": "1", "csrf_token": token}
    )
    assert by_testid(confirmed.text, "command-result") == "Laderen er ikke tilkoblet. Prøv igjen når den er på nett."
    plain = await c.post(f"{url}/commands/reset", data={"type": "Hard", "csrf_token": token})
    assert plain.status_code == 200 and "<html" in plain.text and 'name="confirmed"' in plain.text


async def test_firmware_and_diagnostics_forms_check_their_input(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    org = two_orgs.org_a
    site = await make_site(session, org)
    cp_id = await charger(session, site, "FW-1", seen=None)
    c, url = two_orgs.admin_a.client, f"/portal/o/{org.id}/chargers/{cp_id}"
    page = await c.get(url)
    assert by_testid(page.text, "maintenance-firmware") == "Ingenting meldt"
    token, hx = csrf_of(page.text), {"HX-Request": "true"}
    bad = await c.post(
        f"{url}/firmware",
        headers=hx,
        data={"location": "firmware.bin", "retrieve_at": "2026-05-01T02:00", "csrf_token": token},
    )
    assert by_testid(bad.text, "command-result").startswith("Skriv en fullstendig adresse")
    no_date = await c.post(
        f"{url}/firmware",
        headers=hx,
        data={"location": "https://fw.example/x.bin", "retrieve_at": "", "csrf_token": token},
    )
    assert by_testid(no_date.text, "command-result") == "Velg dato og klokkeslett."
    offline = await c.post(
        f"{url}/diagnostics", headers=hx, data={"location": "ftp://logs.example/", "csrf_token": token}
    )
    assert "ikke tilkoblet" in by_testid(offline.text, "command-result")


async def test_start_charging_offers_members_with_a_tag_and_explains_those_without(
    two_orgs: TwoOrgs, session: AsyncSession
) -> None:
    org = two_orgs.org_a
    site = await make_site(session, org)
    cp_id = await charger(session, site, "START-1", seen=None)
    tagged = await make_member(session, org, name="Kari Lader")
    await make_tag(session, org, tagged, uid="04AABBCC")
    untagged = await make_member(session, org, name="Ola Utenbrikke")
    c, url = two_orgs.admin_a.client, f"/portal/o/{org.id}/chargers/{cp_id}"
    page = await c.get(url)
    assert "Kari Lader" in page.text and "Ola Utenbrikke" not in page.text
    search = await c.get(f"{url}/start-members", params={"member_q": "ola"})
    assert "Ola Utenbrikke har ingen aktiv brikke" in by_testid(search.text, "start-untagged")
    assert 'data-testid="cmd-remote-start"' not in search.text  # nothing to start for
    token, hx = csrf_of(page.text), {"HX-Request": "true"}
    refused = await c.post(
        f"{url}/remote-start", headers=hx, data={"connector": "1", "member": str(untagged.id), "csrf_token": token}
    )
    assert by_testid(refused.text, "command-result").startswith("Dette medlemmet har ingen aktiv brikke")
    offline = await c.post(
        f"{url}/remote-start", headers=hx, data={"connector": "1", "member": str(tagged.id), "csrf_token": token}
    )
    assert "ikke tilkoblet" in by_testid(offline.text, "command-result")
    bad = await c.post(
        f"{url}/remote-start", headers=hx, data={"connector": "7", "member": str(tagged.id), "csrf_token": token}
    )
    assert by_testid(bad.text, "command-result") == "Velg en kontakt."


async def test_live_power_shows_on_the_charger_the_list_and_the_sites(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    org = two_orgs.org_a
    site = await make_site(session, org, name="Garasje")
    cp_id = await charger(session, site, "KW-1", seen=utcnow(), statuses=("Charging", "Available"))
    tx = await charging_session(session, site, cp_id, utcnow() - timedelta(minutes=30), running_wh=3000)
    session.add(
        MeterReading(
            charge_point_id=cp_id,
            connector_number=1,
            session_id=tx,
            taken_at=utcnow(),
            energy_wh=13_000,
            samples=[[9, "7400", 4, 0, 0, 0, 0]],
        )
    )
    await session.commit()
    c, base = two_orgs.admin_a.client, f"/portal/o/{org.id}"
    assert by_testid((await c.get(f"{base}/chargers/{cp_id}?partial=status")).text, "charger-power") == "7,4 kW"
    assert all_by_testid((await c.get(f"{base}/chargers")).text, "charger-power") == ["7,4 kW"]
    assert by_testid((await c.get(f"{base}/sites")).text, "site-power") == "7,4 kW"


async def test_every_new_page_and_endpoint_answers_another_organisation_with_404(
    app: FastAPI, two_orgs: TwoOrgs, session: AsyncSession
) -> None:
    site = await make_site(session, two_orgs.org_a)
    cp_id = await charger(session, site, "MINE-1", seen=None)
    tx = await charging_session(session, site, cp_id, utcnow(), running_wh=100)
    member = await make_member(session, two_orgs.org_a)
    # Admin B asks for A's charger under B's own organisation; finance of A is no administrator.
    outsider, finance = two_orgs.admin_b.client, two_orgs.finance_a.client
    for client, org_id in ((outsider, two_orgs.org_b.id), (finance, two_orgs.org_a.id)):
        url = f"/portal/o/{org_id}/chargers/{cp_id}"
        token = csrf_of((await client.get(f"/portal/o/{org_id}/chargers")).text)
        for path in ("/edit", "/password", "/retire", "/start-members"):
            assert (await client.get(url + path)).status_code == 404, path
        for path, data in (
            ("/edit", {"name": "x", "site_id": str(site.id)}),
            ("/password", {}),
            ("/retire", {}),
            ("/firmware", {"location": "https://x.example/f", "retrieve_at": "2026-05-01T02:00"}),
            ("/diagnostics", {"location": "https://x.example/"}),
            ("/remote-start", {"connector": "1", "member": str(member.id)}),
            (f"/sessions/{tx}/stop", {}),
            ("/commands/reset", {"type": "Hard"}),
        ):
            answer = await client.post(url + path, data={**data, "csrf_token": token})
            assert answer.status_code == 404, path
    state = await session.scalar(select(ChargePoint.commissioning_state).where(ChargePoint.id == cp_id))
    assert state == CommissioningState.active

    token_b = await create_api_token(session, ACTOR, two_orgs.org_b.id, "ops", ["read", "write"])
    token_a = await create_api_token(session, ACTOR, two_orgs.org_a.id, "ops", ["read", "write"])
    async with new_client(app) as api:
        for token, org_id, expected in ((token_b, two_orgs.org_b.id, 404), (token_a, two_orgs.org_a.id, 422)):
            auth = {"Authorization": f"Bearer {token.secret}"}
            base = f"/api/v1/orgs/{org_id}/chargers/{cp_id}"
            bad = {"location": "not a url", "retrieve_at": "2026-05-01T02:00:00Z"}
            assert (await api.post(f"{base}/firmware", json=bad, headers=auth)).status_code == expected
            assert (await api.post(f"{base}/diagnostics", json=bad, headers=auth)).status_code == expected
            assert (
                await api.post(
                    f"{base}/remote-start", json={"connector": 9, "membership_id": str(member.id)}, headers=auth
                )
            ).status_code == expected
        auth_b = {"Authorization": f"Bearer {token_b.secret}"}
        base_b = f"/api/v1/orgs/{two_orgs.org_b.id}/chargers/{cp_id}"
        for method, path, body in (
            ("POST", "/password", None),
            ("GET", "/maintenance", None),
            ("GET", "/power", None),
            ("POST", "/remote-stop", {"transaction_id": tx}),
            ("PATCH", "", {"name": "stolen"}),
        ):
            answer = await api.request(method, base_b + path, json=body, headers=auth_b)
            assert answer.status_code == 404, path
        auth_a = {"Authorization": f"Bearer {token_a.secret}"}
        base_a = f"/api/v1/orgs/{two_orgs.org_a.id}/chargers/{cp_id}"
        renamed = await api.patch(base_a, json={"name": "Plass 3"}, headers=auth_a)
        assert renamed.status_code == 200 and renamed.json()["name"] == "Plass 3"
        moved = await api.patch(base_a, json={"site_id": str(uuid.uuid4())}, headers=auth_a)
        assert moved.status_code == 404
        password = await api.post(f"{base_a}/password", headers=auth_a)
        assert password.status_code == 200 and len(password.json()["password"]) == 19
        assert (await api.get(f"{base_a}/maintenance", headers=auth_a)).json() == {}
        assert (await api.get(f"{base_a}/power", headers=auth_a)).json() == {"power_w": 0}
