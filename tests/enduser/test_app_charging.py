"""Starting and stopping from the app: the member's own app identity as idTag, decided like an RFID
card; every failure explained; a double tap sends one command; nobody else can stop my session."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.chargers import remote
from ladeportal.chargers.commands import ChargerNotConnected, CommandResult, CommandTimedOut
from ladeportal.chargers.history_models import CommandState
from ladeportal.chargers.models import ChargePoint
from ladeportal.db.base import utcnow
from ladeportal.enduser import charging
from ladeportal.enduser.identity import APP_UID_HEX_DIGITS
from ladeportal.enduser.models import AppStartRequest, AppTag
from ladeportal.members.access import AccessStatus, decide_access
from ladeportal.members.models import IdTag, Membership, MembershipState
from tests.enduser.conftest import World, running_session_of
from tests.portal.conftest import csrf_of

KEY = re.compile(r'name="request_key" value="([^"]+)"')


class Charger:
    """What the chargers area is asked to send, answered as the test says."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.answer: str | Exception = "Accepted"

    async def __call__(
        self,
        session: AsyncSession,
        actor: Any,
        org_id: uuid.UUID,
        cp_id: uuid.UUID,
        action: str,
        payload: dict[str, Any],
        *,
        timeout_s: float | None = None,
    ) -> CommandResult:
        self.sent.append((action, payload))
        result = CommandResult(1, action, CommandState.answered, {"status": self.answer})
        if isinstance(self.answer, ChargerNotConnected | CommandTimedOut):
            raise self.answer
        return result


@pytest.fixture
def box(monkeypatch: pytest.MonkeyPatch) -> Charger:
    fake = Charger()
    monkeypatch.setattr(charging, "send_command", fake)
    monkeypatch.setattr(remote, "send_command", fake)
    return fake


async def _start_form(world: World, connector: int = 1) -> tuple[str, dict[str, str]]:
    url = f"/app/start/{world.me.membership.id}/{world.cp_id}/{connector}"
    page = await world.me.client.get(url)
    assert page.status_code == 200, page.text
    key = KEY.search(page.text)
    assert key
    return page.text, {
        "csrf_token": csrf_of(page.text),
        "membership": str(world.me.membership.id),
        "charger": str(world.cp_id),
        "connector": str(connector),
        "request_key": key.group(1),
    }


async def test_start_sends_the_members_app_identity_and_shows_the_answer(
    world: World, session: AsyncSession, box: Charger
) -> None:
    page, form = await _start_form(world)
    assert "Lader A" in page
    response = await world.me.client.post("/app/start", data=form)
    assert response.status_code == 303
    [(action, payload)] = box.sent
    assert action == "RemoteStartTransaction" and payload["connectorId"] == 1
    uid = payload["idTag"]
    # The app identity: one of the member's own tags, 18 hex digits (no card has a 9-byte UID) ...
    tag = await session.scalar(select(IdTag).where(IdTag.uid == uid))
    assert tag is not None and tag.membership_id == world.me.membership.id and len(uid) == APP_UID_HEX_DIGITS
    assert len(uid) <= 20
    # ... that the access decision accepts exactly like a card.
    decision = await decide_access(session, world.org.id, world.site.id, uid, utcnow(), charge_point_id=world.cp_id)
    assert decision.status == AccessStatus.accepted
    progress = await world.me.client.get(response.headers["location"])
    assert 'data-outcome="accepted"' in progress.text
    # The charger's StartTransaction arrives: the start page leads to the live session.
    sid = await running_session_of(session, world, world.me, id_tag=uid, started=utcnow())
    done = await world.me.client.get(response.headers["location"])
    assert done.status_code == 303 and done.headers["location"] == f"/app/sessions/{sid}"


async def test_a_double_tap_sends_one_command(world: World, session: AsyncSession, box: Charger) -> None:
    _, form = await _start_form(world)
    first = await world.me.client.post("/app/start", data=form)
    second = await world.me.client.post("/app/start", data=form)
    assert first.headers["location"] == second.headers["location"]
    assert len(box.sent) == 1
    assert await session.scalar(select(func.count(AppStartRequest.id))) == 1
    # A second start form for the same connector while the first waits for the car is refused.
    _, again = await _start_form(world)
    refused = await world.me.client.post("/app/start", data=again)
    assert refused.status_code == 409 and len(box.sent) == 1


async def test_the_app_identity_is_made_once_and_hidden_from_my_cards(
    world: World, session: AsyncSession, box: Charger
) -> None:
    for _ in range(2):
        _, form = await _start_form(world)
        await world.me.client.post("/app/start", data=form)
        await session.execute(update(AppStartRequest).values(outcome="no_car"))
        await session.commit()
    assert await session.scalar(select(func.count(AppTag.tag_id))) == 1
    cards = await world.me.client.get("/app/tags")
    assert world.my_card.uid in cards.text
    app_uid = box.sent[0][1]["idTag"]
    assert app_uid not in cards.text and box.sent[1][1]["idTag"] == app_uid


@pytest.mark.parametrize(
    ("answer", "outcome"),
    [("Rejected", "rejected"), ("offline", "offline"), ("timeout", "no_answer")],
)
async def test_each_failure_is_explained(world: World, box: Charger, answer: str, outcome: str) -> None:
    fail = CommandResult(1, "RemoteStartTransaction", CommandState.timeout, None)
    box.answer = {
        "Rejected": "Rejected",
        "offline": ChargerNotConnected("not connected", fail, code="charger.not_connected"),
        "timeout": CommandTimedOut("no answer", fail, code="charger.no_answer"),
    }[answer]  # type: ignore[assignment]
    _, form = await _start_form(world)
    response = await world.me.client.post("/app/start", data=form)
    page = await world.me.client.get(response.headers["location"])
    assert f'data-outcome="{outcome}"' in page.text


async def test_no_car_plugged_in_is_said_after_the_wait(world: World, session: AsyncSession, box: Charger) -> None:
    _, form = await _start_form(world)
    response = await world.me.client.post("/app/start", data=form)
    await session.execute(update(AppStartRequest).values(created_at=utcnow() - timedelta(minutes=10)))
    await session.commit()
    page = await world.me.client.get(response.headers["location"])
    assert 'data-outcome="no_car"' in page.text


async def test_an_offline_charger_is_refused_before_anything_is_sent(
    world: World, session: AsyncSession, box: Charger
) -> None:
    _, form = await _start_form(world)
    await session.execute(
        update(ChargePoint).where(ChargePoint.id == world.cp_id).values(last_seen_at=utcnow() - timedelta(hours=2))
    )
    await session.commit()
    response = await world.me.client.post("/app/start", data=form)
    assert response.status_code == 409 and box.sent == []
    assert "frakoblet" in response.text or "offline" in response.text


async def test_a_blocked_member_cannot_start(world: World, session: AsyncSession, box: Charger) -> None:
    _, form = await _start_form(world)
    await session.execute(
        update(Membership).where(Membership.id == world.me.membership.id).values(state=MembershipState.blocked)
    )
    await session.commit()
    response = await world.me.client.post("/app/start", data=form)
    assert response.status_code == 409 and box.sent == []


async def test_nobody_else_starts_on_my_membership_or_at_another_organisations_charger(
    world: World, box: Charger
) -> None:
    _, form = await _start_form(world)
    # The neighbour posts my membership: it is not theirs.
    page = await world.neighbour.client.get("/app/account")
    stolen = {**form, "csrf_token": csrf_of(page.text)}
    assert (await world.neighbour.client.post("/app/start", data=stolen)).status_code == 404
    # The outsider names their own membership but our charger.
    page = await world.outsider.client.get("/app/account")
    theirs = {**form, "csrf_token": csrf_of(page.text), "membership": str(world.outsider.membership.id)}
    theirs["request_key"] = "outsider-key"
    assert (await world.outsider.client.post("/app/start", data=theirs)).status_code == 404
    assert (await world.outsider.client.get(f"/app/start/{world.me.membership.id}/{world.cp_id}/1")).status_code == 404
    assert box.sent == []


async def test_stop_sends_remote_stop_for_my_session_only(world: World, session: AsyncSession, box: Charger) -> None:
    sid = await running_session_of(session, world, world.me)
    page = await world.me.client.get(f"/app/sessions/{sid}")
    assert page.status_code == 200 and "/stop" in page.text
    for other in (world.neighbour, world.outsider):
        assert (await other.client.get(f"/app/sessions/{sid}")).status_code == 404
        their_page = await other.client.get("/app/account")
        response = await other.client.post(f"/app/sessions/{sid}/stop", data={"csrf_token": csrf_of(their_page.text)})
        assert response.status_code == 404
    assert box.sent == []
    stopped = await world.me.client.post(f"/app/sessions/{sid}/stop", data={"csrf_token": csrf_of(page.text)})
    assert stopped.status_code == 303
    assert box.sent == [("RemoteStopTransaction", {"transactionId": sid})]
