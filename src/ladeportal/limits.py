"""Upper bounds on what one request may ask for.

Each bound keeps a value inside what the database columns, Python's datetime and the pages that show
the value can hold, with room to spare for every real use: a request beyond it is refused with a
message that names the field, instead of failing somewhere deeper with a 500.
"""

from __future__ import annotations

from datetime import date
from typing import TypeVar

from ladeportal.errors import ValidationFailed

MAX_PAGE = 100_000
MAX_PAGE_SIZE = 500
MAX_SEARCH_CHARS = 200
MAX_IDS_PER_REQUEST = 10_000
# Charging session ids are OCPP transaction ids: 32-bit integers (a PostgreSQL integer column).
MAX_INT32 = 2**31 - 1
# Dates: a tag's expiry, a price version's start, a quote. Far enough for any plan, and far from the
# end of Python's calendar (year 9999), where converting to UTC or adding a day overflows.
EARLIEST_YEAR = 1970
LATEST_YEAR = 2199
DATE_OUT_OF_RANGE = "Give a date between 1970 and 2199."

_Day = TypeVar("_Day", bound=date)


def check_date(value: _Day | None, field: str) -> _Day | None:
    """`value` (a date or datetime) unchanged, or ValidationFailed naming `field`."""
    if value is not None and not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValidationFailed(DATE_OUT_OF_RANGE, field=field, code="date.out_of_range")
    return value


def clean_text(value: str | None, maximum: int, field: str) -> str | None:
    """Stripped text, None when empty; longer than its column (`maximum`) is a ValidationFailed."""
    text = (value or "").strip()
    if len(text) > maximum:
        raise ValidationFailed(
            f"At most {maximum} characters.", field=field, code="text.too_long", params={"limit": maximum}
        )
    return text or None
