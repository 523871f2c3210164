"""Messages naming a connector the charger does not have: still accepted (never a CALLERROR for a
business reason), but flagged where the owner's dashboard looks."""

from __future__ import annotations

from sqlalchemy import select

from ladeportal.alerts.detection import detect_alerts
from ladeportal.db.base import utcnow
from ladeportal.db.engine import Database
from ladeportal.ocpp.clock import iso
from ladeportal.sessions import anomalies
from ladeportal.sessions.models import ChargingSession, OrphanMessage
from ladeportal.web.portal.dashboard_model import dashboard
from tests.ocpp.conftest import RunningGateway, World, charger, ts
from tests.ocpp.test_ocpp_transactions import meter_values, start


async def _orphans(db: Database) -> list[tuple[str, str]]:
    async with db.session() as s:
        return [(r.action, r.reason) for r in (await s.scalars(select(OrphanMessage).order_by(OrphanMessage.id)))]


def _status(connector: int, minute: int) -> dict[str, object]:
    return {"connectorId": connector, "status": "Available", "errorCode": "NoError", "timestamp": ts(minute)}


async def test_messages_for_a_connector_that_does_not_exist_are_accepted_and_flagged(
    db: Database, gw: RunningGateway, world: World
) -> None:
    async with charger(gw.url, world.cp_id, world.password) as c:  # the charger has connectors 1 and 2
        assert await c.ok("StatusNotification", _status(3, 0)) == {}
        assert await c.ok("StatusNotification", _status(3, 1)) == {}  # flagged once per connection
        assert await c.ok("MeterValues", meter_values(None, 2, 5000, connector=4)) == {}
        # Started now, so it is within the dashboard's window for flagged sessions.
        started = await c.ok(
            "StartTransaction", {"connectorId": 5, "idTag": "04A1B2C3", "meterStart": 1000, "timestamp": iso(utcnow())}
        )
        assert started["idTagInfo"]["status"] == "Accepted" and started["transactionId"] > 0
    assert await _orphans(db) == [("StatusNotification", "unknown connector"), ("MeterValues", "unknown connector")]
    async with db.session() as s:
        row = await s.get(ChargingSession, started["transactionId"])
        assert row is not None and row.connector_number == 5
        assert anomalies.UNKNOWN_CONNECTOR in row.anomalies
        await detect_alerts(s, world.org.id, utcnow())
        board = await dashboard(s, world.org, heartbeat_seconds=120)
    kinds = sorted(a.kind for a in board.alerts)
    assert kinds == ["orphan_message", "session_flagged"] and not board.all_well


async def test_messages_for_existing_connectors_and_the_charger_itself_are_not_flagged(
    db: Database, gw: RunningGateway, world: World
) -> None:
    async with charger(gw.url, world.cp_id, world.password) as c:
        for connector in (0, 1, 2):
            assert await c.ok("StatusNotification", _status(connector, connector)) == {}
        assert await c.ok("MeterValues", meter_values(None, 3, 5000, connector=0)) == {}
        tx = (await start(c, connector=2))["transactionId"]
    assert await _orphans(db) == []
    async with db.session() as s:
        row = await s.get(ChargingSession, tx)
    assert row is not None and row.anomalies == []
