"""Validation of national organisation numbers.

Norway: 9 digits, the last a mod-11 check digit with weights 3 2 7 6 5 4 3 2 (Brønnøysundregistrene).
Sweden: 10 digits (an optional 16 century prefix and hyphen are accepted), the last a Luhn check digit.
"""

from __future__ import annotations

import re

from ladeportal.errors import ValidationFailed

_NO_WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)


def _digits(raw: str) -> str:
    return re.sub(r"[\s\-.]", "", raw or "")


def normalise_org_number(raw: str, country: str) -> str:
    value = _digits(raw)
    if country == "NO":
        if not re.fullmatch(r"\d{9}", value):
            raise ValidationFailed(
                "A Norwegian organisation number has 9 digits.", field="org_number", code="org.number_length_no"
            )
        remainder = sum(int(d) * w for d, w in zip(value[:8], _NO_WEIGHTS, strict=True)) % 11
        check = 0 if remainder == 0 else 11 - remainder
        if check == 10 or check != int(value[8]):
            raise ValidationFailed(
                f"{value} is not a valid Norwegian organisation number (check digit).",
                field="org_number",
                code="org.number_check_digit_no",
                params={"number": value},
            )
        return value
    if country == "SE":
        if re.fullmatch(r"16\d{10}", value):
            value = value[2:]
        if not re.fullmatch(r"\d{10}", value):
            raise ValidationFailed(
                "A Swedish organisation number has 10 digits.", field="org_number", code="org.number_length_se"
            )
        if not _luhn_ok(value):
            raise ValidationFailed(
                f"{value[:6]}-{value[6:]} is not a valid Swedish organisation number (check digit).",
                field="org_number",
                code="org.number_check_digit_se",
                params={"number": f"{value[:6]}-{value[6:]}"},
            )
        return f"{value[:6]}-{value[6:]}"
    raise ValidationFailed(
        f"Unsupported country {country!r}; use NO or SE.",
        field="country",
        code="org.country_unsupported",
        params={"country": country},
    )


def _luhn_ok(value: str) -> bool:
    total = 0
    for i, ch in enumerate(value):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0
