"""Report periods (day, week, month, quarter, year or a range of days), their previous period, the buckets a
chart shows them in, and the filters, parsed from query-string text. Shared by the portal page, its
exports and the JSON API, so the same input means the same report everywhere.

Days are local days in the report's time zone (the site's, or the organisation's for several sites);
a local day lasts 23, 24 or 25 hours.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ladeportal.errors import ValidationFailed
from ladeportal.i18n import N_
from ladeportal.limits import check_date

MAX_RANGE_DAYS = 3 * 366


class PeriodKind(enum.StrEnum):
    day = "day"
    week = "week"
    month = "month"
    quarter = "quarter"
    year = "year"
    range = "range"


class Bucket(enum.StrEnum):
    hour = "hour"
    day = "day"
    month = "month"


@dataclass(frozen=True)
class Period:
    kind: PeriodKind
    start: date
    end: date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def bounds(self, time_zone: str) -> tuple[datetime, datetime]:
        """[start, end) in UTC for the local days of the period."""
        return local_midnight(self.start, time_zone), local_midnight(self.end + timedelta(days=1), time_zone)

    @property
    def bucket(self) -> Bucket:
        if self.kind is PeriodKind.day:
            return Bucket.hour
        return Bucket.day if self.days <= 62 else Bucket.month


def local_midnight(day: date, time_zone: str) -> datetime:
    return datetime.combine(day, time(0), ZoneInfo(time_zone)).astimezone(UTC)


def hours_in_day(day: date, time_zone: str) -> int:
    """23 on the day clocks go forward, 25 on the day they go back, else 24."""
    delta = local_midnight(day + timedelta(days=1), time_zone) - local_midnight(day, time_zone)
    return round(delta.total_seconds() / 3600)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period_of(kind: PeriodKind, anchor: date) -> Period:
    """The day, ISO week, month, quarter or year holding `anchor`."""
    if kind is PeriodKind.day:
        return Period(kind, anchor, anchor)
    if kind is PeriodKind.week:
        start = anchor - timedelta(days=anchor.weekday())
        return Period(kind, start, start + timedelta(days=6))
    if kind is PeriodKind.month:
        start = anchor.replace(day=1)
        return Period(kind, start, _add_months(start, 1) - timedelta(days=1))
    if kind is PeriodKind.quarter:
        start = date(anchor.year, 3 * ((anchor.month - 1) // 3) + 1, 1)
        return Period(kind, start, _add_months(start, 3) - timedelta(days=1))
    if kind is PeriodKind.year:
        return Period(kind, date(anchor.year, 1, 1), date(anchor.year, 12, 31))
    raise ValueError("a range has no anchor")


def previous(period: Period) -> Period:
    """The period before: the previous month for a month (whatever its length), the same number of days
    straight before for a range."""
    if period.kind is PeriodKind.range:
        return replace(period, start=period.start - timedelta(days=period.days), end=period.start - timedelta(days=1))
    return period_of(period.kind, period.start - timedelta(days=1))


def following(period: Period) -> Period:
    if period.kind is PeriodKind.range:
        return replace(period, start=period.end + timedelta(days=1), end=period.end + timedelta(days=period.days))
    return period_of(period.kind, period.end + timedelta(days=1))


def bucket_starts(period: Period, time_zone: str) -> list[date | datetime]:
    """The chart's buckets: UTC hours of a day (23 or 25 on DST days), days, or first days of months."""
    if period.bucket is Bucket.hour:
        start, end = period.bounds(time_zone)
        return [start + timedelta(hours=i) for i in range(round((end - start).total_seconds() / 3600))]
    if period.bucket is Bucket.day:
        return [period.start + timedelta(days=i) for i in range(period.days)]
    months, month = [], period.start.replace(day=1)
    while month <= period.end:
        months.append(month)
        month = _add_months(month, 1)
    return list(months)


@dataclass(frozen=True)
class ReportFilter:
    site_id: uuid.UUID | None = None
    charge_point_id: uuid.UUID | None = None
    group_id: uuid.UUID | None = None
    membership_id: uuid.UUID | None = None


def _choice_error(field: str) -> ValidationFailed:
    return ValidationFailed(N_("Choose a value from the list."), field=field, code="form.choice_invalid")


def _uuid(raw: str | None, field: str) -> uuid.UUID | None:
    text = (raw or "").strip()
    if not text:
        return None
    try:
        return uuid.UUID(text)
    except ValueError:
        raise _choice_error(field) from None


def _day(raw: str | None, field: str) -> date | None:
    text = (raw or "").strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(
            N_("Give the date as YYYY-MM-DD, e.g. 2026-03-31."), field=field, code="reports.date_invalid"
        ) from None
    return check_date(day, field)


def parse_period(*, period: str | None, date_: str | None, since: str | None, until: str | None, today: date) -> Period:
    """`period` day..year around `date_` (today when empty), or `range` from `since` to `until`."""
    try:
        kind = PeriodKind((period or "month").strip())
    except ValueError:
        raise _choice_error("period") from None
    if kind is not PeriodKind.range:
        return period_of(kind, _day(date_, "date") or today)
    start, end = _day(since, "since"), _day(until, "until")
    if start is None:
        raise ValidationFailed(N_("Choose the first day."), field="since", code="reports.since_required")
    end = end or start
    if end < start:
        raise ValidationFailed(
            N_("The end date is before the start date."), field="until", code="reports.dates_reversed"
        )
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise ValidationFailed(
            N_("A report covers at most %(days)s days."),
            field="until",
            code="reports.range_too_long",
            params={"days": MAX_RANGE_DAYS},
        )
    return Period(kind, start, end)


def parse_filter(
    *, site: str | None = None, charger: str | None = None, group: str | None = None, member: str | None = None
) -> ReportFilter:
    return ReportFilter(
        site_id=_uuid(site, "site"),
        charge_point_id=_uuid(charger, "charger"),
        group_id=_uuid(group, "group"),
        membership_id=_uuid(member, "member"),
    )
