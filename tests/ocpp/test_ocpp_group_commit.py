"""The fast paths keep the rules: many chargers' boots and statuses in one transaction, acknowledged
after the commit, a failing item does not sink its batch, batched handshakes authenticate each
charger on its own row, and the faster validator answers exactly like stock fastjsonschema."""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Iterator
from importlib import resources
from typing import Any

import fastjsonschema
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ladeportal.chargers.history_models import ConnectorStatusEvent
from ladeportal.chargers.models import ChargePoint, Connector
from ladeportal.db.engine import Database
from ladeportal.ocpp.validation import compiled
from ladeportal.sessions.meter_writer import GroupCommit
from tests.factories import make_charger
from tests.ocpp.conftest import RunningGateway, World, charger, ts

BOOT = {"chargePointVendor": "Zaptec", "chargePointModel": "Go", "firmwareVersion": "9"}


async def test_chargers_booting_at_once_are_each_stored(db: Database, gw: RunningGateway, world: World) -> None:
    async with db.session() as s:
        extra = [await make_charger(s, world.site, f"CP-STORM-{n}") for n in range(12)]
    creds = [(world.cp_id, world.password), (world.pending_cp_id, world.pending_password)] + [
        (f"CP-STORM-{n}", e.password) for n, e in enumerate(extra)
    ]

    async def storm(ident: str, password: str) -> tuple[str, str]:
        async with charger(gw.url, ident, password) as c:
            boot = await c.ok("BootNotification", {**BOOT, "chargePointSerialNumber": ident})
            await c.ok(
                "StatusNotification",
                {"connectorId": 1, "status": "Preparing", "errorCode": "NoError", "timestamp": ts(5)},
            )
            await c.ok("StatusNotification", {"connectorId": 0, "status": "Available", "errorCode": "NoError"})
        return ident, boot["status"]

    answers = dict(await asyncio.gather(*(storm(i, p) for i, p in creds)))
    # Each charger gets its own commissioning state even when boots share a transaction.
    assert answers.pop(world.pending_cp_id) == "Pending"
    assert set(answers.values()) == {"Accepted"}
    async with db.session() as s:
        serials = dict((await s.execute(select(ChargePoint.ocpp_id, ChargePoint.serial_number))).all())
        preparing = await s.scalar(
            select(func.count()).select_from(Connector).where(Connector.number == 1, Connector.status == "Preparing")
        )
        events = await s.scalar(select(func.count()).select_from(ConnectorStatusEvent))
    assert all(serials[ident] == ident for ident, _ in creds)
    assert preparing == len(creds)
    assert events == 2 * len(creds)


async def test_a_failing_item_does_not_fail_its_batch(db: Database) -> None:
    written: list[int] = []

    async def writer(conn: AsyncConnection, items: list[int]) -> list[int]:
        if -1 in items:
            raise ValueError("bad item")
        written.extend(items)
        return [i * 10 for i in items]

    group = GroupCommit(db)
    group.start()
    try:
        results = await asyncio.gather(*(group.submit(writer, i) for i in (1, -1, 2, 3)), return_exceptions=True)
    finally:
        await group.stop()
    assert results[0] == 10 and results[2:] == [20, 30]
    assert isinstance(results[1], ValueError)
    assert sorted(written) == [1, 2, 3]


async def test_handshakes_at_once_each_check_their_own_credentials(gw: RunningGateway, world: World) -> None:
    from websockets.exceptions import InvalidStatus

    async def status(ident: str, password: str) -> int:
        try:
            async with charger(gw.url, ident, password):
                return 101
        except InvalidStatus as exc:
            return exc.response.status_code

    # Lookups of one moment share a query; a wrong password or unknown id among them changes nothing
    # for the others (the 5-failures-per-minute limit is not reached: 2 failures per address here).
    got = await asyncio.gather(
        status(world.cp_id, world.password),
        status(world.other_cp_id, world.password),
        status("NOBODY", world.password),
        status(world.other_cp_id, world.other_password),
    )
    assert got == [101, 401, 404, 101]


def _variants(value: Any) -> Iterator[Any]:
    """The value, and copies with one field replaced by a wrong type or value, removed, or added."""
    yield value
    if isinstance(value, dict):
        for key in value:
            for bad in ("Bogus", 5, 1.5, None, [], {}, True, "", "x" * 600):
                yield {**value, key: bad}
            yield {k: v for k, v in value.items() if k != key}
            for inner in _variants(value[key]):
                if inner is not value[key]:
                    yield {**value, key: inner}
        yield {**value, "extra": 1}
    elif isinstance(value, list) and value:
        yield []
        for inner in _variants(value[0]):
            yield [inner, *value[1:]]


SAMPLE = {
    "value": "1.5",
    "context": "Sample.Periodic",
    "format": "Raw",
    "measurand": "Voltage",
    "phase": "L1-N",
    "location": "Outlet",
    "unit": "V",
}
PAYLOADS = {
    "MeterValues": {
        "connectorId": 1,
        "transactionId": 7,
        "meterValue": [{"timestamp": "2025-03-01T10:00:00Z", "sampledValue": [SAMPLE]}],
    },
    "StatusNotification": {
        "connectorId": 1,
        "errorCode": "NoError",
        "status": "Available",
        "timestamp": "2025-03-01T10:00:00Z",
        "info": "x",
    },
    "StopTransaction": {"transactionId": 1, "meterStop": 5, "timestamp": "2025-03-01T10:00:00Z", "reason": "Local"},
    "ChangeAvailability": {"connectorId": 0, "type": "Inoperative"},
    "ChangeAvailabilityResponse": {"status": "Accepted"},
}


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_validator_answers_like_stock_fastjsonschema(name: str) -> None:
    schema = json.loads(resources.files("ocpp.v16").joinpath("schemas", f"{name}.json").read_text())
    schema.pop("$schema", None)
    schema.pop("id", None)
    stock, ours = fastjsonschema.compile(schema), compiled("ocpp.v16", name)

    def outcome(validator: Any, payload: Any) -> tuple[str | None, str]:
        try:
            validator(copy.deepcopy(payload))
        except fastjsonschema.JsonSchemaValueException as exc:
            return exc.rule, str(exc.message)
        return None, "ok"

    for payload in _variants(PAYLOADS[name]):
        assert outcome(ours, payload) == outcome(stock, payload), payload
