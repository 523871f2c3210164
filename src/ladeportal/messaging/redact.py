"""What of a phone number may appear in logs: enough to tell messages apart, not to call anyone."""

from __future__ import annotations


def mask_phone(phone: str) -> str:
    """+4791234567 -> +47*****567"""
    if len(phone) <= 6:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 6) + phone[-3:]
