"""Sealed outbox payloads: what must not be readable in the database (a login code, the number it goes
to) is encrypted with a key derived from the server secret, and opened only by the worker that sends it.

The outbox keeps retrying a sealed task like any other; only a changed LADEPORTAL_SECRET_KEY makes it
unreadable, and then it fails for good (a login code is worthless after 10 minutes anyway).
Fernet (AES-128-CBC with HMAC-SHA256) authenticates too: a tampered payload is refused, not sent.
"""

from __future__ import annotations

import base64
import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SEALED = "sealed"
# A separate key per use of the secret: sealing keys can never be confused with CSRF or code HMACs.
_INFO = b"ladeportal outbox payload v1"


class SealBroken(Exception):
    """The payload was sealed under another secret key, or altered."""


@lru_cache(maxsize=4)
def _fernet(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def seal(secret_key: str, fields: dict[str, Any]) -> dict[str, str]:
    """The part of a payload to store in place of `fields`."""
    token = _fernet(secret_key).encrypt(json.dumps(fields, separators=(",", ":")).encode())
    return {SEALED: token.decode("ascii")}


def unseal(secret_key: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The payload with its sealed fields opened; a payload without any is returned as it is."""
    token = payload.get(SEALED)
    if token is None:
        return dict(payload)
    try:
        fields = json.loads(_fernet(secret_key).decrypt(str(token).encode("ascii")))
    except (InvalidToken, ValueError) as exc:
        raise SealBroken("the sealed payload cannot be opened with this secret key") from exc
    opened = {k: v for k, v in payload.items() if k != SEALED}
    opened.update(fields)
    return opened
