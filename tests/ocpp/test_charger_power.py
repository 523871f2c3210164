"""Live power: from the latest Power.Active.Import sample of a running session, else from the energy between
its last two readings; per charger and per site; stale and finished sessions count as nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.chargers.power import Sample, grid_limit_w, live_power, power_of_sample, session_power
from ladeportal.db.base import utcnow
from ladeportal.sessions.meter import parse_meter_values
from ladeportal.sessions.models import MeterReading
from tests.factories import make_org, make_site
from tests.portal.ocpp_rows import charger, charging_session


def packed(*sampled: dict[str, Any]) -> list[list[Any]]:
    return parse_meter_values([{"timestamp": "2026-03-01T10:00:00Z", "sampledValue": list(sampled)}])[0].samples


def test_power_comes_from_the_total_or_the_sum_of_the_phases_in_watts() -> None:
    assert power_of_sample(packed({"value": "1000"})) is None  # energy only
    assert power_of_sample(packed({"measurand": "Power.Active.Import", "value": "7400", "unit": "W"})) == 7400
    assert power_of_sample(packed({"measurand": "Power.Active.Import", "value": "7.4", "unit": "kW"})) == 7400
    phases = [
        {"measurand": "Power.Active.Import", "value": v, "unit": "W", "phase": p}
        for v, p in (("3600", "L1"), ("3650", "L2"), ("3700", "L3"))
    ]
    assert power_of_sample(packed(*phases)) == 10950
    total = {"measurand": "Power.Active.Import", "value": "11000", "unit": "W"}
    assert power_of_sample(packed(*phases, total)) == 11000  # the charger's own total wins
    assert power_of_sample(packed({"measurand": "Power.Active.Import", "value": "NaN", "unit": "W"})) is None
    assert (
        power_of_sample(packed({"measurand": "Power.Active.Import", "value": "5000", "unit": "W", "location": "EV"}))
        is None
    )


def test_without_a_power_sample_the_energy_delta_gives_the_power() -> None:
    now = utcnow()
    earlier = Sample(now - timedelta(minutes=10), 10_000, [])
    latest = Sample(now - timedelta(minutes=5), 10_600, [])
    assert session_power(latest, earlier, now) == 7200  # 600 Wh in 5 minutes
    assert session_power(latest, None, now) is None
    assert session_power(Sample(latest.taken_at, None, []), earlier, now) is None
    assert session_power(Sample(earlier.taken_at, 10_600, []), earlier, now) is None  # no time between them
    stale = Sample(now - timedelta(hours=1), 10_600, [])
    assert session_power(stale, Sample(now - timedelta(hours=2), 1_000, []), now) is None
    assert grid_limit_w(63, 3) == 43470 and grid_limit_w(None, 3) is None


async def test_live_power_per_charger_and_site_reads_only_running_sessions_of_the_organisation(
    session: AsyncSession,
) -> None:
    org, other = await make_org(session), await make_org(session)
    garage, yard = await make_site(session, org, name="Garasje"), await make_site(session, org, name="Gård")
    now = utcnow()
    a = await charger(session, garage, "PWR-A", seen=now, statuses=("Charging", "Charging"))
    b = await charger(session, garage, "PWR-B", seen=now)
    c = await charger(session, yard, "PWR-C", seen=now)
    elsewhere = await make_site(session, other)
    foreign = await charger(session, elsewhere, "PWR-X", seen=now)

    def power_sample(w: str) -> list[list[Any]]:
        return packed({"measurand": "Power.Active.Import", "value": w, "unit": "W"})

    async def reading(
        cp: Any, session_id: int, connector: int, minutes_ago: int, energy: int, samples: list[list[Any]]
    ) -> None:
        session.add(
            MeterReading(
                charge_point_id=cp,
                connector_number=connector,
                session_id=session_id,
                taken_at=now - timedelta(minutes=minutes_ago),
                energy_wh=energy,
                samples=samples,
            )
        )

    a1 = await charging_session(session, garage, a, now - timedelta(hours=1), running_wh=5000, connector=1)
    a2 = await charging_session(session, garage, a, now - timedelta(hours=1), running_wh=5000, connector=2)
    b1 = await charging_session(session, garage, b, now - timedelta(hours=1), running_wh=5000)
    done = await charging_session(session, yard, c, now - timedelta(hours=2), energy_wh=9000)
    x1 = await charging_session(session, elsewhere, foreign, now - timedelta(hours=1), running_wh=5000)
    await reading(a, a1, 1, 6, 14_000, power_sample("3000"))
    await reading(a, a1, 1, 1, 15_000, power_sample("7400"))  # the latest sample counts
    await reading(a, a2, 2, 1, 12_000, power_sample("3700"))
    await reading(b, b1, 1, 11, 10_000, [])
    await reading(b, b1, 1, 1, 11_000, [])  # no power: 1000 Wh in 10 minutes = 6 kW
    await reading(c, done, 1, 1, 19_000, power_sample("9000"))  # finished: not drawing
    await reading(foreign, x1, 1, 1, 15_000, power_sample("22000"))
    await session.commit()

    power = await live_power(session, org.id)
    assert power.by_charger == {a: 11_100, b: 6_000}
    assert power.by_site == {garage.id: 17_100}
    assert power.site(yard.id) == 0 and power.charger(c) == 0
    only_b = await live_power(session, org.id, charge_point_ids=[b])
    assert only_b.by_charger == {b: 6_000}
    assert (await live_power(session, other.id)).by_charger == {foreign: 22_000}
