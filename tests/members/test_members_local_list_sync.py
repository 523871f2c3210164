"""The outbox handler sends each active charger the full list with the organisation's version."""

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.chargers.commands import Answer, register_channel, unregister_channel
from ladeportal.chargers.models import ChargePoint, ChargerLocalList
from ladeportal.db.base import utcnow
from ladeportal.db.engine import Database
from ladeportal.jobs.outbox import TaskContext, registered_kinds
from ladeportal.members.groups import create_group
from ladeportal.members.local_list import SYNC_TASK, local_list_version
from ladeportal.members.local_list_sync import NOT_HERE, catch_up_held, handle_sync_local_list, sync_organization
from ladeportal.members.models import TagState
from ladeportal.members.services import block_member
from ladeportal.members.tags import set_tag_state
from tests.factories import ACTOR, make_charger, make_member, make_org, make_site, make_tag


class FakeGateway:
    def __init__(self, held: set[uuid.UUID]) -> None:
        self.held = held
        self.sent: list[tuple[uuid.UUID, str, dict[str, Any]]] = []
        # Chargers that refuse differential updates (their list was reset behind our back).
        self.mismatch: set[uuid.UUID] = set()
        self.refuse = False

    def holds(self, charge_point_id: uuid.UUID) -> bool:
        return charge_point_id in self.held

    async def exchange(
        self,
        charge_point_id: uuid.UUID,
        action: str,
        payload: dict[str, Any],
        timeout_s: float,
        before_send: Any = None,
    ) -> Answer:
        if before_send is not None:
            await before_send()
        self.sent.append((charge_point_id, action, payload))
        if charge_point_id in self.mismatch and payload.get("updateType") == "Differential":
            return Answer({"status": "VersionMismatch"})
        if self.refuse:
            return Answer({"status": "NotSupported"})
        return Answer({"status": "Accepted"})


@pytest.fixture
def gateway() -> Any:
    channel = FakeGateway(set())
    register_channel(channel)
    yield channel
    unregister_channel(channel)


async def test_each_charger_gets_its_sites_full_list(db: Database, session: AsyncSession, gateway: Any) -> None:
    org = await make_org(session)
    garage, other = await make_site(session, org), await make_site(session, org)
    cp_garage = (await make_charger(session, garage)).charge_point
    cp_other = (await make_charger(session, other)).charge_point
    gateway.held |= {cp_garage.id, cp_other.id}
    group = await create_group(session, ACTOR, org.id, "Garasje", site_ids=[garage.id])
    resident = await make_member(session, org, group_id=group.id)
    blocked = await make_member(session, org)
    await make_tag(session, org, resident, uid="0A0A0A0A")
    await make_tag(session, org, blocked, uid="0B0B0B0B")
    await block_member(session, ACTOR, org.id, blocked.id)
    version = await local_list_version(session, org.id)
    assert SYNC_TASK in registered_kinds()

    await handle_sync_local_list(db, {"organization_id": str(org.id)}, TaskContext(task_id=1, attempt=1))

    sent = {cp: payload for cp, action, payload in gateway.sent if action == "SendLocalList"}
    assert sent[cp_garage.id] == {
        "listVersion": version,
        "updateType": "Full",
        "localAuthorizationList": [
            {"idTag": "0A0A0A0A", "idTagInfo": {"status": "Accepted"}},
            {"idTag": "0B0B0B0B", "idTagInfo": {"status": "Blocked"}},
        ],
    }
    assert [e["idTagInfo"]["status"] for e in sent[cp_other.id]["localAuthorizationList"]] == ["Invalid", "Blocked"]


async def test_an_offline_charger_is_skipped(
    db: Database, session: AsyncSession, gateway: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ladeportal.settings import get_settings

    monkeypatch.setattr(get_settings(), "ocpp_command_timeout", 0.2)
    org = await make_org(session)
    site = await make_site(session, org)
    online = (await make_charger(session, site)).charge_point
    offline = (await make_charger(session, site)).charge_point
    gateway.held.add(online.id)
    outcomes = await sync_organization(db, org.id)
    assert outcomes == {str(online.id): "Accepted", str(offline.id): NOT_HERE}


async def test_a_charger_that_missed_a_change_gets_the_list_when_it_is_seen_again(
    db: Database, session: AsyncSession, gateway: Any
) -> None:
    org = await make_org(session)
    site = await make_site(session, org)
    online = (await make_charger(session, site)).charge_point.id
    away = (await make_charger(session, site)).charge_point.id
    org_id = org.id
    gateway.held |= {online, away}
    member = await make_member(session, org)
    tag = await make_tag(session, org, member, uid="0C0C0C0C")
    tag_id = tag.id
    await handle_sync_local_list(db, {"organization_id": str(org_id)}, TaskContext(task_id=1, attempt=1))
    first = await local_list_version(session, org_id)

    async def confirmed() -> dict[uuid.UUID, int | None]:
        rows = (await session.execute(select(ChargerLocalList.charge_point_id, ChargerLocalList.version))).all()
        await session.commit()
        return {cp_id: version for cp_id, version in rows}

    async def seen(cp_id: uuid.UUID, ago: timedelta) -> None:
        await session.execute(update(ChargePoint).where(ChargePoint.id == cp_id).values(last_seen_at=utcnow() - ago))
        await session.commit()

    assert await confirmed() == {online: first, away: first}

    # The change happens while one charger is away: it is neither seen recently nor sent anything.
    await set_tag_state(session, ACTOR, org_id, tag_id, TagState.blocked)
    second = await local_list_version(session, org_id)
    await seen(online, timedelta(minutes=1))
    await seen(away, timedelta(hours=3))
    gateway.sent.clear()
    await catch_up_held(db, {})
    assert [cp for cp, _, _ in gateway.sent] == [online]
    assert await confirmed() == {online: second, away: first}

    # Back again: the catch-up brings it up to date, once.
    await seen(away, timedelta(seconds=5))
    gateway.sent.clear()
    await catch_up_held(db, {})
    [(cp, action, payload)] = gateway.sent
    assert (cp, action, payload["listVersion"]) == (away, "SendLocalList", second)
    assert payload["localAuthorizationList"] == [{"idTag": "0C0C0C0C", "idTagInfo": {"status": "Blocked"}}]
    assert await confirmed() == {online: second, away: second}
    gateway.sent.clear()
    await catch_up_held(db, {})
    assert gateway.sent == []


async def test_a_change_goes_out_as_a_differential_update_and_a_refusal_gets_the_full_list(
    db: Database, session: AsyncSession, gateway: Any
) -> None:
    org = await make_org(session)
    site = await make_site(session, org)
    kept = (await make_charger(session, site)).charge_point.id
    reset = (await make_charger(session, site)).charge_point.id
    org_id = org.id
    gateway.held |= {kept, reset}
    tag_ids = []
    for uid in ("0D000001", "0D000002", "0D000003"):
        tag_ids.append((await make_tag(session, org, await make_member(session, org), uid=uid)).id)
    await sync_organization(db, org_id)
    assert {p["updateType"] for _, _, p in gateway.sent} == {"Full"}

    await set_tag_state(session, ACTOR, org_id, tag_ids[1], TagState.blocked)
    version = await local_list_version(session, org_id)
    gateway.sent.clear()
    gateway.mismatch.add(reset)
    await sync_organization(db, org_id)

    sent = [(cp, p["updateType"], p) for cp, _, p in gateway.sent]
    differential = {
        "listVersion": version,
        "updateType": "Differential",
        "localAuthorizationList": [{"idTag": "0D000002", "idTagInfo": {"status": "Blocked"}}],
    }
    assert (kept, "Differential", differential) in sent
    # The charger that refused the differential update got the whole list right after.
    to_reset = [p for cp, _, p in sent if cp == reset]
    assert [p["updateType"] for p in to_reset] == ["Differential", "Full"]
    assert [e["idTag"] for e in to_reset[1]["localAuthorizationList"]] == ["0D000001", "0D000002", "0D000003"]
    held = {row.charge_point_id: row for row in (await session.scalars(select(ChargerLocalList))).all()}
    for cp in (kept, reset):
        assert held[cp].version == version
        assert held[cp].entries == {
            "0D000001": {"status": "Accepted"},
            "0D000002": {"status": "Blocked"},
            "0D000003": {"status": "Accepted"},
        }


async def test_a_charger_that_refuses_a_version_is_not_asked_again_until_a_newer_one(
    db: Database, session: AsyncSession, gateway: Any
) -> None:
    org = await make_org(session)
    site = await make_site(session, org)
    cp = (await make_charger(session, site)).charge_point.id
    org_id = org.id
    tag_id = (await make_tag(session, org, await make_member(session, org), uid="0E0E0E0E")).id
    await session.execute(update(ChargePoint).where(ChargePoint.id == cp).values(last_seen_at=utcnow()))
    await session.commit()
    gateway.held.add(cp)
    gateway.refuse = True  # e.g. a charger without local list support answers NotSupported
    attempted: dict[uuid.UUID, tuple[int, float]] = {}
    await catch_up_held(db, attempted)
    await catch_up_held(db, attempted)
    assert len(gateway.sent) == 1
    # A newer version is offered at once.
    await set_tag_state(session, ACTOR, org_id, tag_id, TagState.blocked)
    await catch_up_held(db, attempted)
    assert [p["listVersion"] for _, _, p in gateway.sent] == [1, await local_list_version(session, org_id)]
