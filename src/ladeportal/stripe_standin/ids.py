"""Identifiers shaped like Stripe's: a prefix and 24 random letters and digits."""

from __future__ import annotations

import secrets
import string

_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str, length: int = 24) -> str:
    return f"{prefix}_" + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def new_token(length: int = 32) -> str:
    """An unguessable path segment for hosted pages (links are bearer secrets, as on Stripe)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))
