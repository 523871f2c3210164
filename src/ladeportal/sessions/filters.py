"""What the sessions list can be narrowed by, parsed from text (a query string) into checked values.

Shared by the portal page, its export and the JSON API, so the same input means the same sessions
everywhere. Dates are whole days in the organisation's time zone; `until` includes its day.
"""

from __future__ import annotations

import enum
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ladeportal.errors import ValidationFailed
from ladeportal.i18n import N_
from ladeportal.limits import check_date

MAX_TEXT = 100


class StateFilter(enum.StrEnum):
    running = "running"
    finished = "finished"
    # Closed by the next start on its connector: the charger never reported the end.
    no_stop = "no_stop"


class Period(enum.StrEnum):
    this_month = "this_month"
    last_month = "last_month"


@dataclass(frozen=True)
class SessionFilter:
    site_id: uuid.UUID | None = None
    charge_point_id: uuid.UUID | None = None
    group_id: uuid.UUID | None = None
    member: str | None = None
    since: date | None = None
    until: date | None = None
    state: StateFilter | None = None
    flagged: bool = False

    def bounds(self, time_zone: str) -> tuple[datetime | None, datetime | None]:
        """[start, end) in UTC-aware datetimes for the local days `since`..`until`."""
        zone = ZoneInfo(time_zone)
        start = datetime.combine(self.since, time(0), tzinfo=zone) if self.since else None
        end = datetime.combine(self.until + timedelta(days=1), time(0), tzinfo=zone) if self.until else None
        return start, end


def month_range(period: Period, today: date) -> tuple[date, date]:
    first = today.replace(day=1)
    if period is Period.last_month:
        last = first - timedelta(days=1)
        return last.replace(day=1), last
    next_first = (first + timedelta(days=32)).replace(day=1)
    return first, next_first - timedelta(days=1)


def _uuid(raw: str | None, field: str) -> uuid.UUID | None:
    text = (raw or "").strip()
    if not text:
        return None
    try:
        return uuid.UUID(text)
    except ValueError:
        raise ValidationFailed(N_("Choose a value from the list."), field=field, code="form.choice_invalid") from None


def _day(raw: str | None, field: str) -> date | None:
    text = (raw or "").strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(
            N_("Give the date as YYYY-MM-DD, e.g. 2026-03-31."), field=field, code="sessions.date_invalid"
        ) from None
    return check_date(day, field)


def parse_filter(
    *,
    site: str | None = None,
    charger: str | None = None,
    group: str | None = None,
    member: str | None = None,
    since: str | None = None,
    until: str | None = None,
    period: str | None = None,
    state: str | None = None,
    flagged: str | None = None,
    today: date | None = None,
) -> SessionFilter:
    """A filter from query-string values; ValidationFailed (naming the field) for input that means nothing.
    A `period` preset (this or last month, relative to `today` in the organisation's zone) sets the dates."""
    text = re.sub(r"\s+", " ", (member or "").strip())
    if len(text) > MAX_TEXT:
        raise ValidationFailed(
            N_("Search with at most 100 characters."), field="member", code="sessions.search_too_long"
        )
    start, end = _day(since, "since"), _day(until, "until")
    if period:
        try:
            preset = Period(period)
        except ValueError:
            raise ValidationFailed(
                N_("Choose a value from the list."), field="period", code="form.choice_invalid"
            ) from None
        start, end = month_range(preset, today or date.today())
    if start and end and end < start:
        raise ValidationFailed(
            N_("The end date is before the start date."), field="until", code="sessions.dates_reversed"
        )
    try:
        state_value = StateFilter(state) if state else None
    except ValueError:
        raise ValidationFailed(N_("Choose a value from the list."), field="state", code="form.choice_invalid") from None
    if flagged not in (None, "", "0", "1", "true", "false"):
        raise ValidationFailed(N_("Choose a value from the list."), field="flagged", code="form.choice_invalid")
    return SessionFilter(
        site_id=_uuid(site, "site"),
        charge_point_id=_uuid(charger, "charger"),
        group_id=_uuid(group, "group"),
        member=text or None,
        since=start,
        until=end,
        state=state_value,
        flagged=flagged in ("1", "true"),
    )
