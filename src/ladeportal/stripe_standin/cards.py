"""Stripe's test cards, as its test mode treats them, and the checks of a card form. A number that is not
one of the test cards is refused as Stripe's test mode refuses real cards."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

SUCCEEDS = "succeeds"
DECLINED = "declined"
INSUFFICIENT_FUNDS = "insufficient_funds"
NEEDS_3DS = "requires_action"
NOT_A_TEST_CARD = "live_card"

OUTCOMES = {
    "4242424242424242": SUCCEEDS,
    "5555555555554444": SUCCEEDS,
    "4000000000000002": DECLINED,
    "4000000000009995": INSUFFICIENT_FUNDS,
    "4000002500003155": NEEDS_3DS,
}
BRANDS = {"4": "visa", "5": "mastercard"}


@dataclass(frozen=True)
class Card:
    number: str
    exp_month: int
    exp_year: int

    @property
    def last4(self) -> str:
        return self.number[-4:]

    @property
    def brand(self) -> str:
        return BRANDS.get(self.number[:1], "unknown")

    @property
    def outcome(self) -> str:
        return OUTCOMES.get(self.number, NOT_A_TEST_CARD)


def _luhn(number: str) -> bool:
    total = 0
    for position, digit in enumerate(reversed(number)):
        value = int(digit) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def read_card(number: str, expiry: str, cvc: str, now: float) -> tuple[Card | None, dict[str, str]]:
    """The card, or the messages Stripe's card element shows for each field that is wrong."""
    digits = re.sub(r"[\s-]", "", number)
    errors: dict[str, str] = {}
    if not re.fullmatch(r"\d{12,19}", digits) or not _luhn(digits):
        errors["number"] = "Your card number is incorrect."
    month = year = 0
    match = re.fullmatch(r"\s*(\d{1,2})\s*/\s*(\d{2}|\d{4})\s*", expiry)
    if match is None or not 1 <= int(match[1]) <= 12:
        errors["expiry"] = "Your card's expiration date is incomplete."
    else:
        month, year = int(match[1]), int(match[2]) + (2000 if len(match[2]) == 2 else 0)
        today = datetime.fromtimestamp(now, tz=UTC)
        if (year, month) < (today.year, today.month):
            errors["expiry"] = "Your card's expiration year is in the past."
    if not re.fullmatch(r"\d{3,4}", cvc.strip()):
        errors["cvc"] = "Your card's security code is incomplete."
    if errors:
        return None, errors
    return Card(digits, month, year), {}
