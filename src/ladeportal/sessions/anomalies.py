"""Meter accounting that survives what real chargers do, with every oddity named and recorded.

energy = carried + (last - segment_start): a meter reset starts a new segment instead of producing a
negative or a huge number. Codes are stored on the session; any code puts it on the review list.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ladeportal.sessions.meter import Reading

METER_RESET = "meter_reset"
STOP_BELOW_START = "meter_stop_below_start"
STOP_BELOW_LAST_READING = "meter_stop_below_last_reading"
MISSING_REGISTER = "missing_energy_register"
UNREADABLE_VALUE = "unreadable_meter_value"
KWH_CONVERTED = "unit_kwh_converted"
KWH_MISLABELLED = "unit_kwh_labelled_wh"
START_ZERO_REBASED = "start_value_zero_rebased"
TAG_NOT_ACCEPTED = "tag_not_accepted"
NO_STOP_RECEIVED = "no_stop_received"
CONFLICTING_DUPLICATE_STOP = "conflicting_duplicate_stop"
# The charger named a connector it does not have in the portal (misconfigured charger or portal entry).
UNKNOWN_CONNECTOR = "unknown_connector"

# A fractional "Wh" reading that, read as kWh, lands within this much of the last register is taken as
# a charger that reports kWh but labels it Wh.
_MISLABEL_WINDOW_WH = 1_000_000


@dataclass(slots=True)
class MeterState:
    session_id: int
    meter_start_wh: int
    meter_last_wh: int
    segment_start_wh: int
    energy_carried_wh: int = 0
    anomalies: list[str] = field(default_factory=list)

    def flag(self, code: str) -> None:
        if code not in self.anomalies:
            self.anomalies.append(code)

    @property
    def energy_wh(self) -> int:
        return max(0, self.energy_carried_wh + self.meter_last_wh - self.segment_start_wh)

    def observe(self, reading: Reading) -> None:
        if reading.unreadable:
            self.flag(UNREADABLE_VALUE)
        if reading.energy_wh is None:
            if not reading.unreadable:
                self.flag(MISSING_REGISTER)
            return
        if reading.converted_from_kwh:
            self.flag(KWH_CONVERTED)
        value = self._unmislabelled(reading.energy_wh, reading.kwh_candidate)
        if value >= self.meter_last_wh:
            self.meter_last_wh = value
            return
        # The register went backwards: the meter was reset (replaced, rebooted without persistence).
        # Energy up to the last reading is kept; counting restarts from zero.
        self.flag(METER_RESET)
        self.energy_carried_wh += self.meter_last_wh - self.segment_start_wh
        self.segment_start_wh = 0
        self.meter_last_wh = value

    def finish(self, meter_stop_wh: int) -> int:
        """Apply meterStop; returns the billable energy in Wh."""
        value = self._unmislabelled(meter_stop_wh, None)
        if value >= self.meter_last_wh:
            self.meter_last_wh = value
        else:
            # No reading backs up a reset here, so bill only what readings prove and let the operator
            # decide; charging a guessed amount would be worse than charging too little.
            self.flag(STOP_BELOW_START if value < self.meter_start_wh else STOP_BELOW_LAST_READING)
        return self.energy_wh

    def _unmislabelled(self, value: int, as_kwh: int | None) -> int:
        if as_kwh is not None and value < self.meter_last_wh <= as_kwh <= self.meter_last_wh + _MISLABEL_WINDOW_WH:
            self.flag(KWH_MISLABELLED)
            return as_kwh
        return value
