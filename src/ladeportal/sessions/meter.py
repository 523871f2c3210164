"""OCPP sampled values: parsed once, normalised to Wh, packed compactly for storage.

A packed sample is [measurand, value, unit, phase, context, location, format] where every field but
the value is an index into the tables below (the value stays the charger's string, so nothing is lost
to float rounding). `unpack` turns it back into names for display and export.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

ENERGY_REGISTER = "Energy.Active.Import.Register"
MEASURANDS = (
    ENERGY_REGISTER,
    "Energy.Active.Export.Register",
    "Energy.Reactive.Export.Register",
    "Energy.Reactive.Import.Register",
    "Energy.Active.Export.Interval",
    "Energy.Active.Import.Interval",
    "Energy.Reactive.Export.Interval",
    "Energy.Reactive.Import.Interval",
    "Power.Active.Export",
    "Power.Active.Import",
    "Power.Offered",
    "Power.Reactive.Export",
    "Power.Reactive.Import",
    "Power.Factor",
    "Current.Import",
    "Current.Export",
    "Current.Offered",
    "Voltage",
    "Frequency",
    "Temperature",
    "SoC",
    "RPM",
)
# Index 0 of each table is the OCPP default for an absent field.
UNITS = (
    "Wh",
    "kWh",
    "varh",
    "kvarh",
    "W",
    "kW",
    "VA",
    "kVA",
    "var",
    "kvar",
    "A",
    "V",
    "K",
    "Celcius",
    "Celsius",
    "Fahrenheit",
    "Percent",
    "Hertz",
)
PHASES = ("", "L1", "L2", "L3", "N", "L1-N", "L2-N", "L3-N", "L1-L2", "L2-L3", "L3-L1")
CONTEXTS = (
    "Sample.Periodic",
    "Sample.Clock",
    "Interruption.Begin",
    "Interruption.End",
    "Transaction.Begin",
    "Transaction.End",
    "Trigger",
    "Other",
)
LOCATIONS = ("Outlet", "Inlet", "Body", "Cable", "EV")
FORMATS = ("Raw", "SignedData")

_INDEX = {
    table: {name: i for i, name in enumerate(table)}
    for table in (MEASURANDS, UNITS, PHASES, CONTEXTS, LOCATIONS, FORMATS)
}
_M, _U, _P, _C, _L, _F = (_INDEX[t] for t in (MEASURANDS, UNITS, PHASES, CONTEXTS, LOCATIONS, FORMATS))


@dataclass(slots=True)
class Reading:
    """One meterValue element: when, the total import register in Wh (if present), all samples packed."""

    taken_at: datetime
    energy_wh: int | None
    samples: list[list[Any]]
    # The register was given with a decimal fraction in "Wh", a hint that the charger means kWh: the
    # value read as kWh, for the anomaly check to use if the Wh reading makes no sense.
    kwh_candidate: int | None = None
    converted_from_kwh: bool = False
    unreadable: bool = False


def parse_timestamp(text: str) -> datetime:
    # The schema has already checked RFC 3339; fromisoformat (3.11) reads 'Z' and offsets.
    return datetime.fromisoformat(text)


def parse_meter_values(meter_values: list[dict[str, Any]]) -> list[Reading]:
    return [_parse_one(item) for item in meter_values]


def _parse_one(item: dict[str, Any]) -> Reading:
    samples: list[list[Any]] = []
    energy: int | None = None
    kwh_candidate: int | None = None
    converted = unreadable = False
    for sv in item["sampledValue"]:
        measurand = sv.get("measurand", ENERGY_REGISTER)
        unit = sv.get("unit", "Wh")
        value = sv["value"]
        phase = sv.get("phase", "")
        location = sv.get("location", "Outlet")
        fmt = sv.get("format", "Raw")
        samples.append(
            [_M[measurand], value, _U[unit], _P[phase], _C[sv.get("context", "Sample.Periodic")], _L[location], _F[fmt]]
        )
        # Billing reads the total (no phase) import register at the outlet, in plain (unsigned) form.
        if (
            measurand == ENERGY_REGISTER
            and not phase
            and location == "Outlet"
            and fmt == "Raw"
            and unit in ("Wh", "kWh")
            and energy is None
        ):
            wh = to_wh(value, unit)
            if wh is None:
                unreadable = True
            else:
                energy = wh
                converted = unit == "kWh"
                if unit == "Wh" and "." in value and not value.rstrip("0").endswith("."):
                    kwh_candidate = to_wh(value, "kWh")
    return Reading(parse_timestamp(item["timestamp"]), energy, samples, kwh_candidate, converted, unreadable)


def to_wh(value: str, unit: str = "Wh") -> int | None:
    try:
        number = float(value)
    except ValueError:
        return None
    if number != number or number in (float("inf"), float("-inf")):  # NaN / infinity
        return None
    return round(number * 1000) if unit == "kWh" else round(number)


def unpack(sample: list[Any]) -> dict[str, str]:
    m, value, u, p, c, loc, f = sample
    out = {
        "measurand": MEASURANDS[m],
        "value": value,
        "unit": UNITS[u],
        "context": CONTEXTS[c],
        "location": LOCATIONS[loc],
        "format": FORMATS[f],
    }
    if p:
        out["phase"] = PHASES[p]
    return out
