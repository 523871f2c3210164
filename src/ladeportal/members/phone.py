"""Mobile numbers: every common way of writing one, normalised to E.164 with `phonenumbers`."""

from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

from ladeportal.errors import ValidationFailed

_MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


def normalise_mobile(raw: str, default_region: str = "NO") -> str:
    """'912 34 567', '+47 91234567', '0047 912 34 567' -> '+4791234567'; a clear error otherwise."""
    text = (raw or "").strip()
    if not text:
        raise ValidationFailed("The mobile number is required.", field="phone")
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, default_region)
    except NumberParseException:
        raise ValidationFailed(f"{raw!r} is not a phone number.", field="phone") from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationFailed(f"{raw!r} is not a valid phone number.", field="phone")
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        raise ValidationFailed(
            f"{raw!r} is not a mobile number; the login code is sent by SMS.", field="phone"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_mobile(e164: str | None) -> str:
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
