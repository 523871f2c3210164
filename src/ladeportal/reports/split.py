"""One finished session split across the local days and UTC hours of its site: a pure function.

Energy follows the meter samples: the register is interpolated linearly between samples, so a session
that charged before midnight and idled after it puts its energy before midnight. The pieces are then
scaled to the session's own `energy_wh` (the figure it was billed by) with cumulative rounding, so the
pieces are whole Wh and add up to it exactly. A register that goes backwards (a meter reset) adds
nothing for that stretch; the scaling gives the session's energy to the stretches that were measured.
Without any measured increase the energy is spread by time. Seconds are split by overlap (plugged) and
by overlap with stretches whose register rose (charging). Revenue (net and VAT; gross is their sum) is split
across days by energy share (by time when there is no energy), again adding up to the session exactly.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Sample:
    taken_at: datetime
    register_wh: int


@dataclass
class DayShare:
    day: date
    started_here: bool = False
    energy_wh: int = 0
    plugged_seconds: int = 0
    charging_seconds: int = 0
    gross_minor: int = 0
    net_minor: int = 0
    vat_minor: int = 0
    # (UTC hour start, energy Wh, plugged seconds)
    hours: list[tuple[datetime, int, int]] = field(default_factory=list)


@dataclass(frozen=True)
class _Piece:
    start: datetime
    end: datetime
    day: date
    hour: datetime
    measured: float  # interpolated register increase inside the piece
    charging: bool


def _boundaries(start: datetime, end: datetime, zone: ZoneInfo) -> list[datetime]:
    """UTC hour starts and local midnights strictly inside (start, end), sorted."""
    cuts: set[datetime] = set()
    hour = start.replace(minute=0, second=0, microsecond=0) + HOUR
    while hour < end:
        cuts.add(hour)
        hour += HOUR
    day = start.astimezone(zone).date() + timedelta(days=1)
    while True:
        midnight = datetime.combine(day, time(0), zone).astimezone(UTC)
        if midnight >= end:
            break
        cuts.add(midnight)
        day += timedelta(days=1)
    return sorted(cuts)


def _curve(
    started: datetime, stopped: datetime, start_wh: int, stop_wh: int | None, samples: Iterable[Sample]
) -> list[tuple[datetime, datetime, float]]:
    """Stretches (from, to, measured increase) between consecutive register readings."""
    points = [(started, start_wh)]
    points += sorted((s.taken_at, s.register_wh) for s in samples if started < s.taken_at < stopped)
    if stop_wh is not None:
        points.append((stopped, stop_wh))
    elif points[-1][0] < stopped:
        points.append((stopped, points[-1][1]))
    stretches = []
    for (t1, v1), (t2, v2) in itertools.pairwise(points):
        stretches.append((t1, t2, float(max(0, v2 - v1))))
    return stretches


def _pieces(
    started: datetime, stopped: datetime, stretches: list[tuple[datetime, datetime, float]], zone: ZoneInfo
) -> list[_Piece]:
    cuts = _boundaries(started, stopped, zone)
    pieces: list[_Piece] = []
    for t1, t2, rise in stretches:
        if t2 <= t1:
            # Two readings at one moment: their difference belongs to the piece holding that moment.
            if rise and pieces:
                last = pieces[-1]
                pieces[-1] = _Piece(last.start, last.end, last.day, last.hour, last.measured + rise, True)
            elif rise:
                pieces.append(_piece(t1, t1, zone, rise, True))
            continue
        span = (t2 - t1).total_seconds()
        edges = [t1, *(c for c in cuts if t1 < c < t2), t2]
        for a, b in itertools.pairwise(edges):
            pieces.append(_piece(a, b, zone, rise * (b - a).total_seconds() / span, rise > 0))
    if not pieces:
        pieces.append(_piece(started, stopped, zone, 0.0, False))
    return pieces


def _piece(a: datetime, b: datetime, zone: ZoneInfo, measured: float, charging: bool) -> _Piece:
    return _Piece(a, b, a.astimezone(zone).date(), a.replace(minute=0, second=0, microsecond=0), measured, charging)


def allocate(total: int, weights: Sequence[float]) -> list[int]:
    """Whole parts of `total` in proportion to `weights`, adding up to `total` exactly (cumulative rounding:
    part i is round(total * cum_i) - round(total * cum_{i-1}), which never goes negative)."""
    whole = sum(weights)
    if not weights:
        return []
    if whole <= 0:
        return [total] + [0] * (len(weights) - 1)
    parts, done, cum = [], 0, 0.0
    for i, w in enumerate(weights):
        cum += w
        upto = total if i == len(weights) - 1 else round(total * min(cum / whole, 1.0))
        upto = max(upto, done)
        parts.append(upto - done)
        done = upto
    return parts


def split_session(
    *,
    started_at: datetime,
    stopped_at: datetime | None,
    energy_wh: int,
    meter_start_wh: int,
    meter_stop_wh: int | None,
    samples: Iterable[Sample],
    time_zone: str,
    net_minor: int = 0,
    vat_minor: int = 0,
) -> list[DayShare]:
    """The session's shares of each local day it touched, in day order; the start day always among them."""
    zone = ZoneInfo(time_zone)
    stopped = stopped_at if stopped_at is not None and stopped_at > started_at else started_at
    stretches = _curve(started_at, stopped, meter_start_wh, meter_stop_wh, samples)
    pieces = _pieces(started_at, stopped, stretches, zone)
    durations = [(p.end - p.start).total_seconds() for p in pieces]
    measured = [p.measured for p in pieces]
    energy = allocate(energy_wh, measured if sum(measured) > 0 else durations)
    plugged = allocate(round((stopped - started_at).total_seconds()), durations)
    if any(p.charging for p in pieces):
        charging_weights = [d if p.charging else 0.0 for d, p in zip(durations, pieces, strict=True)]
    else:
        # No samples to tell: a session that delivered energy charged all the time it was plugged in.
        charging_weights = durations if energy_wh > 0 else [0.0] * len(pieces)
    charging_total = round(sum(charging_weights))
    charging = allocate(charging_total, charging_weights)

    start_day = started_at.astimezone(zone).date()
    days: dict[date, DayShare] = {start_day: DayShare(start_day, started_here=True)}
    hours: dict[tuple[date, datetime], list[int]] = {}
    for p, e, s, c in zip(pieces, energy, plugged, charging, strict=True):
        share = days.setdefault(p.day, DayShare(p.day))
        share.energy_wh += e
        share.plugged_seconds += s
        share.charging_seconds += c
        slot = hours.setdefault((p.day, p.hour), [0, 0])
        slot[0] += e
        slot[1] += s
    for (day, hour), (e, s) in sorted(hours.items()):
        days[day].hours.append((hour, e, s))

    ordered = [days[d] for d in sorted(days)]
    weights = [float(d.energy_wh) for d in ordered]
    if sum(weights) == 0:
        weights = [float(d.plugged_seconds) for d in ordered]
    if sum(weights) == 0:
        weights = [1.0 if d.started_here else 0.0 for d in ordered]
    for share, n, v in zip(ordered, allocate(net_minor, weights), allocate(vat_minor, weights), strict=True):
        share.gross_minor, share.net_minor, share.vat_minor = n + v, n, v
    return ordered
