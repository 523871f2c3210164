"""The plan form: flat form fields to the plan JSON of `pricing.plan_codec` and back, and the codec's
problems placed next to the form field they concern.

The form collects its own parsing problems (a grace time that is not a number, a malformed moment)
and the codec's together, so the owner sees every bad input at once and nothing is stored until
there are none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from starlette.datastructures import FormData

from ladeportal.errors import DomainError
from ladeportal.i18n import N_, gettext, ngettext
from ladeportal.pricing.plan_codec import ENERGY_TYPES
from ladeportal.pricing.services import prepare_definition
from ladeportal.pricing.validation import InvalidPlan
from ladeportal.web.portal.error_texts import coded_text, error_text, uncoded_text
from ladeportal.web.portal.forms import GENERAL

BAND_ROWS_MIN = 3
BAND_ROWS_MAX = 8
LOCAL_MINUTE = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends and shows

TEXT_FIELDS = (
    "name",
    "description",
    "effective_from",
    "effective_default",
    "prices_include_vat",
    "energy_type",
    "price_per_kwh",
    "spot_area",
    "spot_factor",
    "spot_markup",
    "spot_floor",
    "spot_ceiling",
    "spot_fallback",
    "time_fee_per_hour",
    "time_fee_grace_minutes",
    "time_fee_hours",
    "start_fee",
    "minimum_per_session",
    "maximum_per_session",
    "monthly_fee_per_member",
    "monthly_fee_basis",
    "band_rows",
)
# The codec's field names, as the form calls them.
_FIELD_NAMES = {
    "energy.type": "energy_type",
    "energy.price_per_kwh": "price_per_kwh",
    "energy.area": "spot_area",
    "energy.factor": "spot_factor",
    "energy.markup_per_kwh": "spot_markup",
    "energy.floor_per_kwh": "spot_floor",
    "energy.ceiling_per_kwh": "spot_ceiling",
    "energy.fallback_per_kwh": "spot_fallback",
    "energy.bands": "bands",
    "time_fee.price_per_hour": "time_fee_per_hour",
    "time_fee.grace_minutes": "time_fee_grace_minutes",
    "time_fee.local_hours": "time_fee_hours",
}
_BAND_FIELD = re.compile(r"energy\.bands\[(\d+)\](?:\.(\w+))?")
_BAND_PARTS = {"price_per_kwh": "price", "weekdays": "days", "start": "start", "end": "end", None: "start"}
_HOURS = re.compile(r"(\d{1,2})(?:\s*-\s*(\d{1,2}))?")


@dataclass
class BandRow:
    days: tuple[str, ...] = ()
    start: str = ""
    end: str = ""
    price: str = ""
    label: str = ""

    @property
    def is_empty(self) -> bool:
        return not (self.days or self.start or self.end or self.price or self.label)


@dataclass
class PlanForm:
    values: dict[str, str] = field(default_factory=dict)
    bands: list[BandRow] = field(default_factory=list)


@dataclass
class ParsedPlan:
    definition: dict[str, Any]
    effective_from: datetime | None
    errors: dict[str, str]


def default_bands() -> list[BandRow]:
    """Night every day, and weekday and weekend daytime: a valid week the owner only has to price."""
    return [
        BandRow(("0", "1", "2", "3", "4"), "06:00", "22:00", "", gettext("Weekday")),
        BandRow(("5", "6"), "06:00", "22:00", "", gettext("Weekend")),
        BandRow(tuple(str(d) for d in range(7)), "22:00", "06:00", "", gettext("Night")),
    ]


def shown_rows(bands: list[BandRow], at_least: int = 0) -> list[BandRow]:
    """The rows to show: up to the last filled one plus an empty one to add a band, within the limits.

    Rows keep their position (and so their field names), so a problem found in row 3 is shown there."""
    last = max((i for i, band in enumerate(bands) if not band.is_empty), default=-1)
    count = min(max(last + 2, at_least, BAND_ROWS_MIN), BAND_ROWS_MAX)
    rows = bands[:count]
    return rows + [BandRow() for _ in range(count - len(rows))]


def read_plan_form(form: FormData) -> PlanForm:
    def text(key: str) -> str:
        value = form.get(key)
        return value.strip() if isinstance(value, str) else ""

    bands = [
        BandRow(
            tuple(v for v in form.getlist(f"band{i}_days") if isinstance(v, str)),
            text(f"band{i}_start"),
            text(f"band{i}_end"),
            text(f"band{i}_price"),
            text(f"band{i}_label"),
        )
        for i in range(BAND_ROWS_MAX)
    ]
    return PlanForm({key: text(key) for key in TEXT_FIELDS}, bands)


def _amount(raw: str) -> str | None:
    # Norwegian and Swedish owners type "2,50"; the codec reads "2.50". Spaces group thousands.
    text = raw.replace(" ", "").replace("\u00a0", "").replace(",", ".")
    return text or None


def _hours(raw: str) -> list[int] | None:
    """ "08-22" or "0-6, 22-24": the hours (0-23) a time fee applies in; None when empty."""
    if not raw:
        return None
    hours: set[int] = set()
    for part in raw.split(","):
        match = _HOURS.fullmatch(part.strip())
        if not match:
            raise ValueError(part)
        first, last = int(match[1]), int(match[2]) if match[2] else int(match[1]) + 1
        if not (0 <= first <= 23 and 1 <= last <= 24) or first == last:
            raise ValueError(part)
        hours.update(range(first, last) if first < last else [*range(first, 24), *range(0, last)])
    return sorted(hours)


def hours_text(hours: list[int] | None) -> str:
    if not hours:
        return ""
    runs: list[list[int]] = []
    for hour in sorted(hours):
        if runs and hour == runs[-1][1] + 1:
            runs[-1][1] = hour
        else:
            runs.append([hour, hour])
    return ", ".join(f"{first:02d}-{last + 1:02d}" for first, last in runs)


def parse_local_moment(raw: str, time_zone: str) -> datetime:
    """A datetime-local value read as wall-clock time in `time_zone` (the first of a repeated hour)."""
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(raw) from None
    if moment.tzinfo is not None:
        raise ValueError(raw)
    return moment.replace(tzinfo=ZoneInfo(time_zone))


def _energy(form: PlanForm) -> tuple[dict[str, Any], list[int]]:
    """The energy part, and the form row of each band the codec numbers from 1."""
    kind = form.values.get("energy_type", "")
    v = form.values
    if kind == "fixed":
        return {"type": "fixed", "price_per_kwh": _amount(v.get("price_per_kwh", ""))}, []
    if kind == "spot":
        return {
            "type": "spot",
            "area": v.get("spot_area", ""),
            "factor": _amount(v.get("spot_factor", "")),
            "markup_per_kwh": _amount(v.get("spot_markup", "")),
            "floor_per_kwh": _amount(v.get("spot_floor", "")),
            "ceiling_per_kwh": _amount(v.get("spot_ceiling", "")),
            "fallback_per_kwh": _amount(v.get("spot_fallback", "")),
        }, []
    if kind == "time_of_day":
        rows = [i for i, band in enumerate(form.bands) if not band.is_empty]
        bands = []
        for i in rows:
            band = form.bands[i]
            bands.append(
                {
                    "weekdays": sorted({int(d) for d in band.days if d.isdigit()}),
                    "start": band.start,
                    "end": band.end,
                    "price_per_kwh": _amount(band.price),
                    "label": band.label,
                }
            )
        return {"type": "time_of_day", "bands": bands}, rows
    return {"type": kind}, []


def parse_plan(form: PlanForm, *, vat_rate_bp: int, currency: str, time_zone: str) -> ParsedPlan:
    """The definition to store, when it takes effect, and every problem by form field (empty: valid)."""
    v = form.values
    errors: dict[str, str] = {}
    energy, band_rows = _energy(form)
    definition: dict[str, Any] = {
        "prices_include_vat": v.get("prices_include_vat", "incl") != "excl",
        "energy": energy,
        "start_fee": _amount(v.get("start_fee", "")),
        "minimum_per_session": _amount(v.get("minimum_per_session", "")),
        "maximum_per_session": _amount(v.get("maximum_per_session", "")),
        "monthly_fee_per_member": _amount(v.get("monthly_fee_per_member", "")),
        "monthly_fee_basis": v.get("monthly_fee_basis") or "whole_months",
        "time_fee": None,
    }
    if v.get("energy_type") not in ENERGY_TYPES:
        errors["energy_type"] = gettext("Choose how energy is priced.")
    per_hour = _amount(v.get("time_fee_per_hour", ""))
    if per_hour is not None:
        fee: dict[str, Any] = {"price_per_hour": per_hour, "grace_minutes": 0}
        grace = v.get("time_fee_grace_minutes", "")
        if grace:
            try:
                fee["grace_minutes"] = int(grace)
            except ValueError:
                errors["time_fee_grace_minutes"] = gettext("Give whole minutes, 0 or more.")
        try:
            fee["local_hours"] = _hours(v.get("time_fee_hours", ""))
        except ValueError:
            errors["time_fee_hours"] = gettext("Give hours like 08-22, or 0-6, 22-24.")
        definition["time_fee"] = fee
    try:
        prepare_definition(definition, vat_rate_bp=vat_rate_bp, currency=currency)
    except InvalidPlan as exc:
        found: dict[str, list[str]] = {}
        for problem in exc.problems:
            if problem.field == "energy.type":
                continue  # said above, in the form's words
            found.setdefault(form_field(problem.field, band_rows), []).append(
                coded_text(problem.code, problem.params, time_zone=time_zone)
                or uncoded_text(problem.message, problem.code)
            )
        for key, messages in found.items():
            errors[key] = _summary(messages)
    effective_from = None
    raw_moment = v.get("effective_from", "")
    # The form shows "now" as a local minute; sent back unchanged it means now, to the second, so a
    # change made right after creating a plan does not take effect before the version it replaces.
    if raw_moment and raw_moment != v.get("effective_default"):
        try:
            effective_from = parse_local_moment(raw_moment, time_zone)
        except ValueError:
            errors["effective_from"] = gettext("Give a date and time, e.g. 2026-05-01 00:00.")
    return ParsedPlan(definition, effective_from, errors)


def _summary(messages: list[str]) -> str:
    """One field's problems; a gap or overlap repeated on every weekday is said twice, then counted."""
    shown = " ".join(messages[:2])
    rest = len(messages) - 2
    if rest <= 0:
        return shown
    more = ngettext("(%(num)d more like it)", "(%(num)d more like these)", rest) % {"num": rest}
    return f"{shown} {more}"


def form_field(codec_field: str, band_rows: list[int]) -> str:
    band = _BAND_FIELD.fullmatch(codec_field)
    if band:
        number = int(band[1])
        row = band_rows[number - 1] if 0 < number <= len(band_rows) else 0
        return f"band{row}_{_BAND_PARTS.get(band[2], 'start')}"
    if codec_field in ("currency", "vat_rate_bp"):
        return GENERAL
    return _FIELD_NAMES.get(codec_field, codec_field)


def domain_errors(exc: DomainError, time_zone: str) -> dict[str, str]:
    return {exc.field or GENERAL: error_text(exc, time_zone=time_zone)}


def form_from_definition(definition: dict[str, Any]) -> PlanForm:
    """The form filled in from a stored version, to change its prices into a new version."""
    energy = definition.get("energy") or {}
    fee = definition.get("time_fee") or {}
    values = {
        "prices_include_vat": "incl" if definition.get("prices_include_vat", True) else "excl",
        "energy_type": energy.get("type", "fixed"),
        "price_per_kwh": energy.get("price_per_kwh", "") if energy.get("type") == "fixed" else "",
        "start_fee": _shown(definition.get("start_fee")),
        "minimum_per_session": _shown(definition.get("minimum_per_session")),
        "maximum_per_session": definition.get("maximum_per_session") or "",
        "monthly_fee_per_member": _shown(definition.get("monthly_fee_per_member")),
        "monthly_fee_basis": definition.get("monthly_fee_basis") or "whole_months",
        "time_fee_per_hour": fee.get("price_per_hour", "") if fee else "",
        "time_fee_grace_minutes": str(fee.get("grace_minutes", "")) if fee else "",
        "time_fee_hours": hours_text(fee.get("local_hours")) if fee else "",
    }
    # Free energy is stored as a fixed price of 0; the owner chose "free".
    if values["energy_type"] == "fixed" and _shown(values["price_per_kwh"]) == "":
        values.update(energy_type="free", price_per_kwh="")
    if energy.get("type") == "spot":
        values.update(
            spot_area=energy.get("area", ""),
            spot_factor=energy.get("factor", "1"),
            spot_markup=_shown(energy.get("markup_per_kwh")),
            spot_floor=energy.get("floor_per_kwh") or "",
            spot_ceiling=energy.get("ceiling_per_kwh") or "",
            spot_fallback=energy.get("fallback_per_kwh", ""),
        )
    bands = (
        [
            BandRow(
                tuple(str(d) for d in b.get("weekdays", [])),
                b.get("start", ""),
                b.get("end", ""),
                b.get("price_per_kwh", ""),
                b.get("label", ""),
            )
            for b in energy.get("bands", [])
        ]
        if energy.get("type") == "time_of_day"
        else default_bands()
    )
    return PlanForm(values, bands)


def _shown(amount: Any) -> str:
    """Empty for no amount or zero, so the form shows only what the plan charges."""
    if amount in (None, ""):
        return ""
    text = str(amount)
    try:
        return "" if Decimal(text) == 0 else text
    except InvalidOperation:
        return text


ENERGY_LABELS = {
    "fixed": N_("Fixed price per kWh"),
    "time_of_day": N_("By time of day and weekday"),
    "spot": N_("Spot price plus markup"),
    "free": N_("Free"),
}
