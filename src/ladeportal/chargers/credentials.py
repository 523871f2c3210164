"""Per-charger OCPP Basic-auth passwords: generation, salted hashing, constant-time checking."""

from __future__ import annotations

import hashlib
import hmac
import secrets

# OCPP 1.6 security whitepaper: password of 16-40 characters, at most 20 bytes for 1.6 chargers.
# Four groups of four, e.g. "k7m2-x9qa-4hzt-p3wd" (19 characters): installers type it into an app on
# a phone, so it is lower case and leaves out what is read two ways (0/o, 1/l/i). 16 symbols from 31
# carry 79 bits: far beyond guessing online (failed handshakes are rate limited) or offline from a
# leaked salted hash, and still within the 20 bytes a 1.6 charger takes.
PASSWORD_GROUPS = 4
GROUP_LENGTH = 4
PASSWORD_LENGTH = PASSWORD_GROUPS * GROUP_LENGTH + PASSWORD_GROUPS - 1
SYMBOLS = "abcdefghjkmnpqrstuvwxyz23456789"


def generate_password() -> str:
    return "-".join("".join(secrets.choice(SYMBOLS) for _ in range(GROUP_LENGTH)) for _ in range(PASSWORD_GROUPS))


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
