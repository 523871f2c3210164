"""One charger's page: connectors, current and recent sessions with energy and cost in the reader's
language, meter flags, status history, last messages and commands with their results; sending a
command to a charger that is not connected says so. (A connected charger answering a command from
the page is in tests/browser.)"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal import settings as settings_module
from ladeportal.chargers.history_models import ChargerCommand, ChargerNotification, CommandState, ConnectorStatusEvent
from ladeportal.chargers.models import Connector
from ladeportal.db.base import utcnow
from ladeportal.members.models import Role, User
from ladeportal.members.phone import display_mobile
from ladeportal.settings import get_settings
from tests.factories import make_member, make_site, mobile_number
from tests.portal.conftest import TwoOrgs, csrf_of
from tests.portal.ocpp_rows import all_by_testid, by_testid, charger, charging_session


async def test_the_charger_page_shows_sessions_history_messages_and_commands(
    two_orgs: TwoOrgs, session: AsyncSession
) -> None:
    org = two_orgs.org_a
    site = await make_site(session, org, name="Garasje Sør")
    now = utcnow()
    cp_id = await charger(session, site, "PAGE-1", seen=now, statuses=("Charging", "Faulted"), name="Plass 7")
    await charging_session(session, site, cp_id, now - timedelta(minutes=30), running_wh=4200, id_tag="0A0B0C01")
    await charging_session(
        session,
        site,
        cp_id,
        datetime(2026, 1, 10, 17, 0, tzinfo=UTC),
        energy_wh=12345,
        cost_minor=123456,
        currency="NOK",
        anomalies=["meter_reset"],
    )
    await charging_session(session, site, cp_id, datetime(2026, 1, 9, 17, 0, tzinfo=UTC), energy_wh=800)
    session.add_all(
        [
            ConnectorStatusEvent(
                charge_point_id=cp_id,
                connector_number=2,
                status="Faulted",
                error_code="GroundFailure",
                reported_at=now,
                received_at=now,
            ),
            ConnectorStatusEvent(
                charge_point_id=cp_id,
                connector_number=0,
                status="Available",
                error_code="NoError",
                reported_at=now - timedelta(hours=1),
                received_at=now - timedelta(hours=1),
            ),
            ChargerNotification(charge_point_id=cp_id, kind="firmware", status="Installed", received_at=now),
            ChargerCommand(
                organization_id=org.id,
                charge_point_id=cp_id,
                action="Reset",
                payload={"type": "Soft"},
                state=CommandState.answered,
                response={"status": "Accepted"},
                actor_label="test",
                created_at=now - timedelta(minutes=3),
            ),
            ChargerCommand(
                organization_id=org.id,
                charge_point_id=cp_id,
                action="UnlockConnector",
                payload={"connectorId": 1},
                state=CommandState.failed,
                error_code="NotSupported",
                actor_label="test",
                created_at=now - timedelta(minutes=2),
            ),
            ChargerCommand(
                organization_id=org.id,
                charge_point_id=cp_id,
                action="ChangeAvailability",
                payload={"connectorId": 0, "type": "Inoperative"},
                state=CommandState.timeout,
                actor_label="test",
                created_at=now - timedelta(minutes=1),
            ),
        ]
    )
    await session.commit()

    c, url = two_orgs.admin_a.client, f"/portal/o/{org.id}/chargers/{cp_id}"
    page = (await c.get(url)).text
    assert "Plass 7" in page and "Garasje Sør" in page
    assert "Lading pågår" in _row(page, "connector-1") and "Feil" in _row(page, "connector-2")
    # The status history names the charger's words in the reader's language, keeping the word as a hint.
    assert "(Jordfeil)" in page and 'title="GroundFailure"' in page
    assert len(all_by_testid(page, "session-active")) == 1 and len(all_by_testid(page, "session-finished")) == 2
    assert all_by_testid(page, "session-energy") == ["4,2 kWh", "12,3 kWh", "0,8 kWh"]
    assert all_by_testid(page, "session-cost") == ["–", "kr 1\xa0234,56", "–"]
    assert by_testid(page, "session-flag") == "Måleren ble nullstilt under økten"
    assert by_testid(page, "maintenance-firmware").startswith("Installert · ")
    assert by_testid(page, "maintenance-diagnostics") == "Ingenting meldt"
    assert len(all_by_testid(page, "command-row")) == 3
    assert "Intet svar" in page and "Avvist (Støttes ikke)" in page
    assert all_by_testid(page, "command-answer")[-1] == "Godtatt" and "Accepted" not in page
    assert page.index("Endre tilgjengelighet") < page.index("Intet svar")  # newest command first

    await c.post("/portal/language", data={"language": "en", "next": url, "csrf_token": csrf_of(page)})
    english = (await c.get(url)).text
    assert all_by_testid(english, "session-cost") == ["–", "NOK 1,234.56", "–"]
    assert all_by_testid(english, "session-energy") == ["4.2 kWh", "12.3 kWh", "0.8 kWh"]
    assert "No answer" in english and "Refused (Not supported)" in english and "(Ground fault)" in english


async def test_the_command_log_says_who_sent_each_command_and_folds_automatic_list_pushes(
    two_orgs: TwoOrgs, session: AsyncSession
) -> None:
    org = two_orgs.org_a
    site = await make_site(session, org, name="Garasje Nord")
    cp_id = await charger(session, site, "LOG-1", seen=utcnow())
    named = await make_member(session, org, name="Kari Styreleder", role=Role.org_admin)
    nameless = await make_member(session, org, mobile_number(), name=None, role=Role.org_admin)
    nameless_phone = (await session.get(User, nameless.user_id)).phone  # type: ignore[union-attr]
    start = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # 13:00 in Oslo

    def command(minute: int, action: str, user_id: uuid.UUID | None, status: str) -> ChargerCommand:
        return ChargerCommand(
            organization_id=org.id,
            charge_point_id=cp_id,
            action=action,
            payload={},
            state=CommandState.answered,
            response={"status": status},
            actor_label="test",
            actor_user_id=user_id,
            created_at=start + timedelta(minutes=minute),
        )

    pushes = [command(i, "SendLocalList", None, "Accepted") for i in range(11)]
    pushes.append(command(62, "SendLocalList", None, "Failed"))  # the latest of the run: 14:02
    session.add_all(
        [
            *pushes,
            command(70, "Reset", named.user_id, "Accepted"),
            command(80, "SendLocalList", None, "Accepted"),  # a single push after the restart
            command(90, "UnlockConnector", nameless.user_id, "Unlocked"),
            command(95, "SendLocalList", named.user_id, "Accepted"),  # sent by a person: never folded
        ]
    )
    await session.commit()

    page = (await two_orgs.admin_a.client.get(f"/portal/o/{org.id}/chargers/{cp_id}")).text
    assert all_by_testid(page, "command-what") == [
        "Send tilgangsliste",
        "Lås opp kontakt",
        "Send tilgangsliste",
        "Start på nytt",
        "Lokal liste oppdatert automatisk 12 ganger, sist kl. 14:02",
    ]
    assert all_by_testid(page, "command-sender") == [
        "Kari Styreleder",
        display_mobile(nameless_phone),
        "Automatisk",
        "Kari Styreleder",
        "Automatisk",
    ]
    assert all_by_testid(page, "command-answer") == ["Godtatt", "Låst opp", "Godtatt", "Godtatt", "Mislyktes"]


def _row(html: str, testid: str) -> str:
    start = html.index(f'data-testid="{testid}"')
    return html[start : html.index("</tr>", start)]


@pytest.fixture
def short_command_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nobody holds the charger, so the command waits the whole timeout for a gateway to claim it."""
    settings = get_settings().model_copy(update={"ocpp_command_timeout": 0.5})
    monkeypatch.setattr(settings_module, "get_settings", lambda: settings)


@pytest.mark.usefixtures("short_command_timeout")
async def test_a_command_to_a_charger_that_is_not_connected_says_so(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    org = two_orgs.org_a
    site = await make_site(session, org)
    cp_id = await charger(session, site, "AWAY-1", seen=None)
    c, url = two_orgs.admin_a.client, f"/portal/o/{org.id}/chargers/{cp_id}"
    page = (await c.get(url)).text
    headers = {"HX-Request": "true"}
    answer = await c.post(
        f"{url}/commands/availability",
        headers=headers,
        data={"connector": "0", "availability": "Inoperative", "csrf_token": csrf_of(page)},
    )
    assert answer.status_code == 200 and "<html" not in answer.text
    assert by_testid(answer.text, "command-result") == "Laderen er ikke tilkoblet. Prøv igjen når den er på nett."
    bad = await c.post(f"{url}/commands/unlock", headers=headers, data={"connector": "x", "csrf_token": csrf_of(page)})
    assert by_testid(bad.text, "command-result") == "Velg en kontakt."
    unknown = await c.post(f"{url}/commands/selfdestruct", headers=headers, data={"csrf_token": csrf_of(page)})
    assert "alert-danger" in unknown.text
    # Without HTMX the page reloads with the result as a message.
    plain = await c.post(f"{url}/commands/reset", data={"type": "Soft", "csrf_token": csrf_of(page)})
    assert plain.status_code == 303


async def test_finance_sees_the_page_but_cannot_send_commands_and_outsiders_see_nothing(
    two_orgs: TwoOrgs, session: AsyncSession
) -> None:
    site = await make_site(session, two_orgs.org_a)
    cp_id = await charger(session, site, "ROLE-1", seen=utcnow())
    url = f"/portal/o/{two_orgs.org_a.id}/chargers/{cp_id}"
    finance = await two_orgs.finance_a.client.get(url)
    assert finance.status_code == 200 and "cmd-reset" not in finance.text
    refused = await two_orgs.finance_a.client.post(
        f"{url}/commands/reset", data={"type": "Soft", "csrf_token": csrf_of(finance.text)}
    )
    assert refused.status_code == 404
    outsider = await two_orgs.admin_b.client.get(f"/portal/o/{two_orgs.org_b.id}/chargers/{cp_id}")
    assert outsider.status_code == 404


async def test_the_status_card_refreshes_itself_and_only_for_its_organisation(
    two_orgs: TwoOrgs, session: AsyncSession
) -> None:
    org = two_orgs.org_a
    site = await make_site(session, org)
    cp_id = await charger(session, site, "LIVE-1", seen=utcnow(), statuses=("Available", "Available"))
    url = f"/portal/o/{org.id}/chargers/{cp_id}"
    page = (await two_orgs.admin_a.client.get(url)).text
    # The card in the page polls the partial URL, which renders the same card and nothing else.
    assert f'hx-get="{url}?partial=status"' in page
    await session.execute(
        update(Connector)
        .where(Connector.charge_point_id == cp_id, Connector.number == 1)
        .values(status="Charging", status_changed_at=utcnow())
    )
    await session.commit()
    card = await two_orgs.admin_a.client.get(url, params={"partial": "status"})
    assert card.status_code == 200 and "<html" not in card.text and 'id="charger-status"' in card.text
    assert "Charging" in _row(card.text, "connector-1") and "Available" in _row(card.text, "connector-2")
    assert (await two_orgs.finance_a.client.get(url, params={"partial": "status"})).status_code == 200
    outsider = await two_orgs.admin_b.client.get(url, params={"partial": "status"})
    assert outsider.status_code == 404 and "LIVE-1" not in outsider.text
