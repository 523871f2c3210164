"""RFID UIDs as readers print them, normalised to upper-case hex without separators."""

from __future__ import annotations

import re

from ladeportal.errors import ValidationFailed

# 4, 7 and 10 byte UIDs (ISO 14443) are 8, 14 and 20 hex digits; some back ends use other even
# lengths, so accept any even length from 8 to 20 (OCPP 1.6 idToken is at most 20 characters).
_HEX = re.compile(r"^[0-9A-F]{8,20}$")


def normalise_uid(raw: str) -> str:
    text = (raw or "").strip().upper()
    if not text:
        raise ValidationFailed("The RFID UID is required.", field="uid", code="tag.uid_required")
    if text.startswith("0X"):
        text = text[2:]
    # Readers separate bytes with ':', '-', or spaces.
    text = re.sub(r"[\s:\-]", "", text)
    if text.isdigit() and len(text) == 10 and int(text) < 2**32:
        # Card numbers printed on the card and decimal readers give the 4-byte UID as a 10-digit
        # decimal; no ISO 14443 UID is 5 bytes, so 10 digits are never meant as hex.
        text = f"{int(text):08X}"
    if not _HEX.match(text) or len(text) % 2:
        raise ValidationFailed(
            f"{raw!r} is not an RFID UID (8-20 hexadecimal digits, e.g. 04A1B2C3).",
            field="uid",
            code="tag.uid_invalid",
            params={"uid": (raw or "").strip()},
        )
    return text
