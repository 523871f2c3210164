"""Calendar quarters, named "2027-Q1", with their bounds in an organisation's time zone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from ladeportal.errors import ValidationFailed

_NAME = re.compile(r"^(\d{4})-Q([1-4])$")


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        found = _NAME.match((text or "").strip().upper())
        if not found or not 2000 <= int(found.group(1)) <= 2100:
            raise ValidationFailed(
                "Give the quarter as 2027-Q1.", field="quarter", code="subscriptions.quarter_invalid"
            )
        return cls(int(found.group(1)), int(found.group(2)))

    @classmethod
    def of(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    def __str__(self) -> str:
        return f"{self.year}-Q{self.number}"

    @property
    def first_day(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def end_day(self) -> date:
        """The first day after the quarter."""
        return self.next().first_day

    @property
    def days(self) -> int:
        return (self.end_day - self.first_day).days

    def next(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)

    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)

    def starts_at(self, time_zone: str) -> datetime:
        return _midnight(self.first_day, time_zone)

    def ends_at(self, time_zone: str) -> datetime:
        return _midnight(self.end_day, time_zone)


def _midnight(day: date, time_zone: str) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(time_zone)).astimezone(UTC)


def current_quarter(now: datetime, time_zone: str = "Europe/Oslo") -> Quarter:
    return Quarter.of(now.astimezone(ZoneInfo(time_zone)).date())
