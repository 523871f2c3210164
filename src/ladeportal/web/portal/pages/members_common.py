"""Small helpers shared by the users, groups and RFID pages."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Request

from ladeportal.errors import ValidationFailed
from ladeportal.limits import check_date


def parse_uuid(
    raw: str | None, *, field: str | None = None, message: str = "", code: str | None = None
) -> uuid.UUID | None:
    """None for an empty value; a malformed one is None too, or a field error when `field` is given
    (with `code`, the error's code in error_texts.TEXTS)."""
    if not raw:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        if field is None:
            return None
        raise ValidationFailed(message, field=field, code=code) from None


def query_without(request: Request, *names: str) -> str:
    """The current query string minus `names`, for links that change one parameter (paging)."""
    return urlencode([(k, v) for k, v in request.query_params.multi_items() if k not in names and v])


def parse_expiry_date(raw: str | None, time_zone: str, field: str = "expires_on") -> datetime | None:
    """A date picker's 'YYYY-MM-DD': the tag works through that day in the organisation's time zone
    (the same meaning the tag import gives an expiry date)."""
    text = (raw or "").strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(
            "Give the expiry as a date, e.g. 2026-12-31.", field=field, code="tag.expiry_date_invalid"
        ) from None
    check_date(day, field)
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=ZoneInfo(time_zone))


def expiry_input(value: datetime | None, time_zone: str) -> str:
    """The date to show in the form for a stored expiry (the inverse of parse_expiry_date)."""
    if value is None:
        return ""
    local = value.astimezone(ZoneInfo(time_zone))
    day = local.date() - timedelta(days=1) if local.time() == time(0) else local.date()
    return day.isoformat()
