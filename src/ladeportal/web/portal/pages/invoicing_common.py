"""What the invoicing pages share: the section's address, amounts typed the Norwegian way, months,
the labels of states. No routes here."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from ladeportal.billing.invoice_listing import (
    CREDIT_KIND_LABELS,
    CREDIT_STATE_LABELS,
    INVOICE_STATE_LABELS,
    RUN_STATE_LABELS,
)
from ladeportal.errors import ValidationFailed
from ladeportal.i18n import N_, gettext, ngettext
from ladeportal.web.portal.access import OrgContext
from ladeportal.web.portal.error_texts import coded_text

PATH = "/invoicing"
# Colours of the state badges (Tabler), at WCAG AA contrast as "-lt" badges.
INVOICE_COLOURS = {
    "pending": "secondary",
    "open": "yellow",
    "paid": "green",
    "void": "secondary",
    "uncollectible": "red",
}
RUN_COLOURS = {"awaiting_approval": "orange", "running": "azure", "done": "green"}
MAX_AMOUNT_MINOR = 1_000_000_00
_AMOUNT = re.compile(r"^-?\d{1,9}([.,]\d{1,2})?$")


def today_in(here: OrgContext) -> date:
    return datetime.now(ZoneInfo(here.org.time_zone)).date()


def last_month(here: OrgContext) -> date:
    return (today_in(here).replace(day=1) - timedelta(days=1)).replace(day=1)


def page_number(raw: str | None) -> int:
    try:
        return max(1, min(int(raw or "1"), 100_000))
    except ValueError:
        return 1


def parse_kroner(raw: str | None, field: str, *, negative: bool = False, required: bool = True) -> int | None:
    """'1 234,50' (or 1234.50) kroner as øre. Refuses more than two decimals, a sign when not allowed,
    and amounts beyond a million kroner."""
    text = (raw or "").replace(" ", "").replace("\u00a0", "").replace("kr", "")
    if not text:
        if required:
            raise ValidationFailed(N_("Required."), field=field, code="price.required")
        return None
    if not _AMOUNT.match(text) or (text.startswith("-") and not negative):
        raise ValidationFailed(
            f"{raw} is not an amount.", field=field, code="invoicing.amount_invalid", params={"value": raw or ""}
        )
    try:
        minor = int(Decimal(text.replace(",", ".")) * 100)
    except InvalidOperation:  # pragma: no cover - the pattern lets only numbers through
        raise ValidationFailed(
            f"{raw} is not an amount.", field=field, code="invoicing.amount_invalid", params={"value": raw or ""}
        ) from None
    if abs(minor) > MAX_AMOUNT_MINOR:
        raise ValidationFailed(
            "The amount is too large.",
            field=field,
            code="invoicing.amount_too_large",
            params={"maximum": MAX_AMOUNT_MINOR // 100},
        )
    return minor


def kroner_text(minor: int | None) -> str:
    """Øre as the form shows them again: 1234,50 (no thousands separator, so it parses back)."""
    if minor is None:
        return ""
    return f"{Decimal(minor).scaleb(-2):.2f}".replace(".", ",")


def error_sentence(code: str) -> str:
    """A stored error code (a run's or an invoice's last error) in the reader's words."""
    try:
        text = coded_text(code, {})
    except (KeyError, TypeError, ValueError):
        text = None
    return text or gettext(N_("A step did not succeed; it is tried again by itself."))


def reminder_label(reminder: str) -> str:
    """A sent reminder ("due+3", "blocked", "unblocked": billing/overdue.py) in the reader's words."""
    if reminder.startswith("due+") and reminder[4:].isdigit():
        days = int(reminder[4:])
        return ngettext("Reminder %(num)d day after the due date", "Reminder %(num)d days after the due date", days) % {
            "num": days
        }
    if reminder == "blocked":
        return gettext(N_("Charging blocked until the invoice is paid"))
    if reminder == "unblocked":
        return gettext(N_("Charging opened again"))
    return reminder


def labels() -> dict[str, Any]:
    return {
        "invoice_state_labels": INVOICE_STATE_LABELS,
        "run_state_labels": RUN_STATE_LABELS,
        "credit_kind_labels": CREDIT_KIND_LABELS,
        "credit_state_labels": CREDIT_STATE_LABELS,
        "invoice_colours": INVOICE_COLOURS,
        "run_colours": RUN_COLOURS,
        "error_sentence": error_sentence,
        "reminder_label": reminder_label,
    }
