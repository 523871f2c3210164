"""The electrical model behind MeterValues: a three-phase car drawing constant current."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PHASES = ("L1", "L2", "L3")


@dataclass
class Meter:
    """One connector's meter. The register only ever grows, like a real (MID) meter."""

    register_wh: int = 0
    current_a: float = 16.0
    voltage_v: float = 230.0
    soc_percent: float = 20.0
    battery_wh: int = 60_000

    @property
    def power_w(self) -> float:
        return round(self.current_a * self.voltage_v * len(PHASES), 1)

    def advance(self, seconds: float) -> int:
        """Charge for `seconds` at the present power; returns the energy added in Wh."""
        added = round(self.power_w * seconds / 3600)
        self.register_wh += added
        self.soc_percent = min(100.0, self.soc_percent + 100.0 * added / self.battery_wh)
        return added

    def sampled_values(self, context: str = "Sample.Periodic") -> list[dict[str, Any]]:
        """The 9 sampled values of the benchmark shape: energy, power, 3x current, 3x voltage, SoC."""

        def value(
            number: float, measurand: str, unit: str, phase: str | None = None, location: str = "Outlet"
        ) -> dict[str, Any]:
            sample: dict[str, Any] = {
                "value": f"{number:.1f}" if isinstance(number, float) else str(number),
                "context": context,
                "format": "Raw",
                "measurand": measurand,
                "location": location,
                "unit": unit,
            }
            if phase is not None:
                sample["phase"] = phase
            return sample

        return [
            value(self.register_wh, "Energy.Active.Import.Register", "Wh"),
            value(self.power_w, "Power.Active.Import", "W"),
            *(value(self.current_a, "Current.Import", "A", phase) for phase in PHASES),
            *(value(self.voltage_v, "Voltage", "V", f"{phase}-N") for phase in PHASES),
            value(round(self.soc_percent, 1), "SoC", "Percent", location="EV"),
        ]

    def register_value(self, context: str) -> dict[str, Any]:
        """The energy register alone, as StopTransaction's transactionData carries it."""
        return {
            "value": str(self.register_wh),
            "context": context,
            "format": "Raw",
            "measurand": "Energy.Active.Import.Register",
            "location": "Outlet",
            "unit": "Wh",
        }
