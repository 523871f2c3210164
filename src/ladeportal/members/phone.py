"""Mobile numbers: every common way of writing one, normalised to E.164 with `phonenumbers`."""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumber, PhoneNumberType

from ladeportal.errors import ValidationFailed

_MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}
_SEPARATORS = re.compile(r"[\s\-./()]")


def _parse(text: str, region: str) -> PhoneNumber | None:
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def normalise_mobile(raw: str, default_region: str = "NO") -> str:
    """'912 34 567', '+47 91234567', '0047 912 34 567' -> '+4791234567'; a clear error otherwise.

    Numbers without a country code are read in the organisation's country (`default_region`).
    """
    text = (raw or "").strip()
    if not text:
        raise ValidationFailed("The mobile number is required.", field="phone", code="member.phone_required")
    compact = _SEPARATORS.sub("", text)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if not re.fullmatch(r"\+?\d{3,17}", compact):
        raise ValidationFailed(
            f"{raw!r} is not a phone number.", field="phone", code="member.phone_malformed", params={"phone": text}
        )
    number = _parse(compact, default_region)
    if number is None and compact.isdigit() and len(compact) >= 10:
        # Excel turns "+4791234567" into the number 4791234567: read it with its country code.
        number = _parse("+" + compact, default_region)
    if number is None:
        raise ValidationFailed(
            f"{raw!r} is not a valid phone number.", field="phone", code="member.phone_invalid", params={"phone": text}
        )
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        raise ValidationFailed(
            f"{raw!r} is not a mobile number; the login code is sent by SMS.",
            field="phone",
            code="member.phone_not_mobile",
            params={"phone": text},
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
