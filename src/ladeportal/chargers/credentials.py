"""Per-charger OCPP Basic-auth passwords: generation, salted hashing, constant-time checking."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string

# OCPP 1.6 security whitepaper: password of 16-40 characters, at most 20 bytes for 1.6 chargers.
PASSWORD_LENGTH = 20
# 88 symbols: 20 characters carry 20 * log2(88) = 129 bits, above the 128 bits that make a fast hash
# safe. Quotes, backslash, space and backtick are left out: they break charger web UIs and shells.
_ALPHABET = string.ascii_letters + string.digits + "!#$%&()*+,-./;<=>?@[]^_{|}~"


def generate_password() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(PASSWORD_LENGTH))


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.sha256(salt + password.encode("utf-8")).hexdigest()
    return f"sha256${salt.hex()}${digest}"


def verify_password(password: str, stored: str | None) -> bool:
    if not stored:
        return False
    try:
        scheme, salt_hex, digest = stored.split("$", 2)
        salt = bytes.fromhex(salt_hex)
    except ValueError:
        return False
    if scheme != "sha256":
        return False
    candidate = hashlib.sha256(salt + password.encode("utf-8")).hexdigest()
    return hmac.compare_digest(candidate, digest)
