"""Stopping a session from the charger page asks first, with scripts or without: the button is a form
that opens a confirmation page when scripts are off (the browser's dialog asks when they run, and the
request then says it was confirmed); a stop that was not confirmed sends nothing to the charger.
Other organisations and other roles reach neither the question nor the stop."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.chargers import remote
from ladeportal.chargers.services import get_charge_point
from ladeportal.db.base import utcnow
from ladeportal.errors import Conflict
from tests.factories import make_site
from tests.portal.conftest import TwoOrgs, csrf_of
from tests.portal.ocpp_rows import charger, charging_session


@pytest.fixture
def stops(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The stops the page asks the chargers area for (the charger itself is not connected here); answered
    as if the session had just ended."""
    asked: list[int] = []

    async def remote_stop(session: AsyncSession, actor: Any, org_id: uuid.UUID, cp_id: uuid.UUID, tx: int) -> Any:
        cp = await get_charge_point(session, org_id, cp_id)  # what the real one checks before sending
        await remote.running_session(session, org_id, cp.id, tx)
        asked.append(tx)
        raise Conflict("The session has already ended.", code="session.already_ended")

    monkeypatch.setattr(remote, "remote_stop", remote_stop)
    return asked


async def _running(session: AsyncSession, two_orgs: TwoOrgs) -> tuple[uuid.UUID, int]:
    site = await make_site(session, two_orgs.org_a)
    cp_id = await charger(session, site, "STOP-1", seen=utcnow(), statuses=("Charging",), name="Plass 5")
    return cp_id, await charging_session(session, site, cp_id, utcnow(), running_wh=2500)


async def test_without_scripts_the_stop_button_leads_to_a_question_first(
    two_orgs: TwoOrgs, session: AsyncSession, stops: list[int]
) -> None:
    cp_id, tx = await _running(session, two_orgs)
    url = f"/portal/o/{two_orgs.org_a.id}/chargers/{cp_id}"
    c = two_orgs.admin_a.client
    page = (await c.get(url)).text
    [button_form] = re.findall(r'<form method="get" action="([^"]+)"[^>]*hx-post="([^"]+)"[^>]*>', page)
    assert button_form == (f"{url}/sessions/{tx}/stop", f"{url}/sessions/{tx}/stop")
    assert 'hx-vals=\'{"confirmed": "1"}\'' in page and "hx-confirm=" in page

    # Scripts off: the browser follows the form to the question.
    question = await c.get(button_form[0])
    assert question.status_code == 200 and 'data-testid="stop-confirm"' in question.text
    assert "Stoppe ladingen på kontakt 1?" in question.text and "Plass 5" in question.text
    assert stops == []

    # A post that was not confirmed only asks.
    unconfirmed = await c.post(f"{url}/sessions/{tx}/stop", data={"csrf_token": csrf_of(question.text)})
    assert unconfirmed.status_code == 200 and 'data-testid="stop-confirm"' in unconfirmed.text
    assert stops == []

    # Yes on the question page stops it.
    confirmed = await c.post(f"{url}/sessions/{tx}/stop", data={"csrf_token": csrf_of(question.text), "confirmed": "1"})
    assert confirmed.status_code == 303 and confirmed.headers["location"].endswith(str(cp_id))
    assert stops == [tx]


async def test_scripts_send_the_confirmed_stop_with_the_header_token(
    two_orgs: TwoOrgs, session: AsyncSession, stops: list[int]
) -> None:
    cp_id, tx = await _running(session, two_orgs)
    url = f"/portal/o/{two_orgs.org_a.id}/chargers/{cp_id}"
    c = two_orgs.admin_a.client
    token = csrf_of((await c.get(url)).text)
    answer = await c.post(
        f"{url}/sessions/{tx}/stop",
        data={"confirmed": "1"},
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )
    assert answer.status_code == 200 and stops == [tx]


async def test_outsiders_and_other_roles_get_neither_the_question_nor_the_stop(
    two_orgs: TwoOrgs, session: AsyncSession, stops: list[int]
) -> None:
    cp_id, tx = await _running(session, two_orgs)
    for client, org_id in (
        (two_orgs.admin_b.client, two_orgs.org_b.id),
        (two_orgs.finance_a.client, two_orgs.org_a.id),
    ):
        url = f"/portal/o/{org_id}/chargers/{cp_id}/sessions/{tx}/stop"
        token = csrf_of((await client.get(f"/portal/o/{org_id}/chargers")).text)
        assert (await client.get(url)).status_code == 404
        answer = await client.post(url, data={"csrf_token": token, "confirmed": "1"})
        assert answer.status_code == 404
    assert stops == []
