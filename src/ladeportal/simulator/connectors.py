"""Connector and transaction state of a simulated charger."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime

from ladeportal.simulator.meter import Meter


@dataclass
class Transaction:
    connector_id: int
    id_tag: str
    meter_start: int
    started_at: datetime
    # Filled when the central system answers StartTransaction; may be long after the start when
    # the charger was offline, so queued MeterValues/StopTransaction resolve it at send time.
    transaction_id: int | None = None
    id_tag_status: str | None = None
    meter_stop: int | None = None
    stopped_at: datetime | None = None
    stop_reason: str | None = None

    @property
    def active(self) -> bool:
        return self.stopped_at is None


@dataclass
class Connector:
    connector_id: int
    status: str = "Available"
    error_code: str = "NoError"
    meter: Meter = field(default_factory=Meter)
    plugged: bool = False
    operative: bool = True
    # ChangeAvailability(Inoperative) during a transaction is Scheduled: applied when it ends.
    pending_inoperative: bool = False
    transaction: Transaction | None = None
    reported_status: str | None = None
    last_advance: datetime | None = None
    sampler: asyncio.Task[None] | None = None

    @property
    def busy(self) -> bool:
        return self.transaction is not None and self.transaction.active
