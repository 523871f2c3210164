"""Meter values a charger sends after it stopped the transaction are kept with the session and make the
reports split its energy again (across the local midnight here), instead of being parked as orphans."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from ladeportal.db.engine import Database
from ladeportal.reports.aggregates import refresh
from ladeportal.reports.models import ReportSessionDay
from ladeportal.sessions.models import ChargingSession, MeterReading, OrphanMessage
from tests.ocpp.conftest import RunningGateway, World, charger, gw, ts, world  # noqa: F401
from tests.ocpp.test_ocpp_transactions import meter_values


async def days(db: Database, tx: int) -> dict[date, int]:
    async with db.session() as s:
        rows = await s.execute(
            select(ReportSessionDay.day, ReportSessionDay.energy_wh).where(ReportSessionDay.session_id == tx)
        )
        return {day: energy for day, energy in rows}


async def test_late_meter_values_re_split_a_stopped_session(db: Database, gw: RunningGateway, world: World) -> None:  # noqa: F811
    # 22:00-00:00 UTC is 23:00-01:00 in Oslo: the local midnight is at 23:00 UTC.
    async with charger(gw.url, world.cp_id, world.password) as c:
        started = await c.ok(
            "StartTransaction", {"connectorId": 1, "idTag": "04A1B2C3", "meterStart": 1000, "timestamp": ts(0, hour=22)}
        )
        tx = started["transactionId"]
        await c.ok("StopTransaction", {"transactionId": tx, "meterStop": 9000, "timestamp": ts(0, hour=0, day=2)})
        async with db.session() as s:
            assert await refresh(s) == 1
        # Without samples the energy is spread over the time: half on each local day.
        assert await days(db, tx) == {date(2026, 3, 1): 4000, date(2026, 3, 2): 4000}
        async with db.session() as s:
            before = (await s.get(ChargingSession, tx)).updated_at  # type: ignore[union-attr]

        # The queued sample arrives late: 7 of the 8 kWh were in by 23:00 UTC (midnight in Oslo).
        assert (
            await c.ok(
                "MeterValues",
                meter_values(tx, 0, 8000)
                | {
                    "meterValue": [
                        {
                            "timestamp": ts(0, hour=23),
                            "sampledValue": [{"value": "8000", "measurand": "Energy.Active.Import.Register"}],
                        }
                    ]
                },
            )
            == {}
        )
    async with db.session() as s:
        row = await s.get(ChargingSession, tx)
        assert row is not None and row.updated_at > before
        assert (row.energy_wh, row.meter_stop_wh) == (8000, 9000)  # the stop's figures stay
        readings = (await s.scalars(select(MeterReading.energy_wh).where(MeterReading.session_id == tx))).all()
        assert 8000 in readings
        assert (await s.scalars(select(OrphanMessage))).all() == []
        assert await refresh(s) == 1
    assert await days(db, tx) == {date(2026, 3, 1): 7000, date(2026, 3, 2): 1000}
