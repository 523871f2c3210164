"""Many simulated chargers with seeded random behaviour (the `make run` demo, soak tests)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from dataclasses import dataclass, field

from ladeportal.simulator.charger import SimulatedCharger

logger = logging.getLogger(__name__)

DEMO_TAGS = ("04A1B2C3", "04D5E6F7", "04112233", "04445566", "04778899")


@dataclass(frozen=True)
class Behaviour:
    """Mean times in seconds; drawn from exponential distributions, so runs look organic."""

    mean_idle: float
    mean_session: float
    offline_chance: float = 0.0  # per idle period, per charger
    mean_offline: float = 60.0
    unplug_instead_of_swipe: float = 0.3  # share of sessions ended by pulling the cable


SCENARIOS = {
    # Sessions start and stop every few minutes; an occasional short network outage.
    "demo": Behaviour(mean_idle=150.0, mean_session=240.0, offline_chance=0.02, mean_offline=45.0),
    "busy": Behaviour(mean_idle=10.0, mean_session=60.0, offline_chance=0.05, mean_offline=20.0),
}


@dataclass
class Stats:
    sessions_started: int = 0
    sessions_stopped: int = 0
    rejected_swipes: int = 0
    offline_periods: int = 0
    errors: list[str] = field(default_factory=list)


class Simulator:
    def __init__(
        self,
        url: str,
        credentials: dict[str, str],
        *,
        connectors: int = 2,
        seed: int = 1,
        meter_interval: int = 60,
        scenario: str = "demo",
        tags: tuple[str, ...] = DEMO_TAGS,
        ramp_up: float = 5.0,
        behaviour: Behaviour | None = None,
    ) -> None:
        self.behaviour = behaviour or SCENARIOS[scenario]
        self.tags = tags
        self.ramp_up = ramp_up
        self.seed = seed
        self.stats = Stats()
        self.chargers = [
            SimulatedCharger(url, cp_id, password, connectors, meter_interval=meter_interval)
            for cp_id, password in sorted(credentials.items())
        ]

    async def run(self, duration: float | None = None) -> Stats:
        """Run until `duration` seconds have passed (forever if None), then close every charger."""
        tasks = [
            asyncio.create_task(self._drive(charger, random.Random(f"{self.seed}:{charger.charge_point_id}")))
            for charger in self.chargers
        ]
        try:
            await asyncio.wait(tasks, timeout=duration)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await asyncio.gather(*(charger.close() for charger in self.chargers), return_exceptions=True)
        return self.stats

    async def _drive(self, charger: SimulatedCharger, rng: random.Random) -> None:
        # Spread the connects so the demo does not start with a reconnect storm.
        await asyncio.sleep(rng.uniform(0, self.ramp_up))
        try:
            await charger.connect(within=3600)
        except TimeoutError:
            self.stats.errors.append(f"{charger.charge_point_id}: never booted")
            return
        loops = [self._connector_loop(charger, n, rng) for n in charger.connectors]
        await asyncio.gather(self._network_loop(charger, rng), *loops)

    async def _connector_loop(self, charger: SimulatedCharger, connector: int, rng: random.Random) -> None:
        b = self.behaviour
        while True:
            await asyncio.sleep(rng.expovariate(1 / b.mean_idle))
            try:
                transaction = await charger.swipe(rng.choice(self.tags), connector)
                if transaction is None:
                    self.stats.rejected_swipes += 1
                    await charger.plug_out(connector)
                    continue
                self.stats.sessions_started += 1
                await asyncio.sleep(rng.expovariate(1 / b.mean_session))
                if rng.random() < b.unplug_instead_of_swipe:
                    await charger.plug_out(connector)
                else:
                    await charger.swipe(transaction.id_tag, connector)
                    await asyncio.sleep(rng.uniform(0.02, 0.1) * b.mean_session)  # walking back to the car
                    await charger.plug_out(connector)
                self.stats.sessions_stopped += 1
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a demo keeps going; the error is counted and logged
                logger.exception("%s connector %d", charger.charge_point_id, connector)
                self.stats.errors.append(f"{charger.charge_point_id}/{connector}: {exc!r}")

    async def _network_loop(self, charger: SimulatedCharger, rng: random.Random) -> None:
        b = self.behaviour
        if b.offline_chance <= 0:
            return
        while True:
            await asyncio.sleep(rng.expovariate(1 / b.mean_idle))
            if rng.random() >= b.offline_chance:
                continue
            self.stats.offline_periods += 1
            await charger.go_offline()
            await asyncio.sleep(rng.expovariate(1 / b.mean_offline))
            with contextlib.suppress(TimeoutError):
                await charger.go_online(within=600)
