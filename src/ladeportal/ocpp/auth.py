"""The opening handshake: which charger is this, and may it connect (security profiles 1 and 2).

Unknown identity -> 404, missing or wrong Basic credentials -> 401, retired -> 403, too many failures
from this address or for this identity -> 429. The outcome is decided before the WebSocket exists,
so a refused client never reaches the connection registry and can never displace a charger.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, select

from ladeportal.chargers.credentials import verify_password
from ladeportal.chargers.models import ChargePoint, CommissioningState
from ladeportal.db.engine import Database
from ladeportal.ocpp.ratelimit import FailureLimiter
from ladeportal.sessions.services import ChargerRef

OCPP_PATH_PREFIX = "/ocpp/"


@dataclass(frozen=True, slots=True)
class ChargerIdentity:
    charge_point_id: uuid.UUID
    ocpp_id: str
    organization_id: uuid.UUID
    site_id: uuid.UUID

    @property
    def ref(self) -> ChargerRef:
        return ChargerRef(self.charge_point_id, self.organization_id, self.site_id)


class HandshakeRefused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def identity_from_path(path: str) -> str | None:
    """'/ocpp/CP-1' (query string ignored) -> 'CP-1'."""
    path = path.split("?", 1)[0]
    if not path.startswith(OCPP_PATH_PREFIX):
        return None
    ident = path[len(OCPP_PATH_PREFIX):]
    if not ident or "/" in ident or len(ident) > 48:
        return None
    return ident


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    if not header or header[:6].lower() != "basic ":
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


_CREDENTIALS = select(ChargePoint.id, ChargePoint.ocpp_id, ChargePoint.organization_id, ChargePoint.site_id,
                      ChargePoint.credential_hash, ChargePoint.commissioning_state)
_LOOKUP_CHUNK = 500  # bounded IN lists


class _CredentialLookup:
    """Charger rows for handshakes, fetched for all handshakes waiting at once.

    In a reconnect storm thousands of chargers connect within seconds; one query (and one session)
    per handshake would make the database round trips the limit. A handshake that finds no query
    running starts one at once (no added delay); those arriving meanwhile share the next one. Each
    query reads the rows fresh, so a retired charger or a new credential counts from then on.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self._waiting: dict[str, list[asyncio.Future[Row[Any] | None]]] = {}
        self._task: asyncio.Task[None] | None = None

    async def get(self, ocpp_id: str) -> Row[Any] | None:
        future: asyncio.Future[Row[Any] | None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(ocpp_id, []).append(future)
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="ocpp-credential-lookup")
        return await future

    async def _run(self) -> None:
        try:
            while self._waiting:
                waiting, self._waiting = self._waiting, {}
                try:
                    rows = await self._fetch(list(waiting))
                except Exception as exc:
                    for futures in waiting.values():
                        for future in futures:
                            if not future.done():
                                future.set_exception(exc)
                    continue
                for ocpp_id, futures in waiting.items():
                    for future in futures:
                        if not future.done():  # a handshake that timed out meanwhile is gone
                            future.set_result(rows.get(ocpp_id))
        finally:
            # No await between the empty check and here: a new waiter always finds a task or starts one.
            self._task = None

    async def _fetch(self, ids: list[str]) -> dict[str, Row[Any]]:
        rows: dict[str, Row[Any]] = {}
        async with self._db.engine.connect() as conn:
            for start in range(0, len(ids), _LOOKUP_CHUNK):
                chunk = ids[start:start + _LOOKUP_CHUNK]
                result = await conn.execute(_CREDENTIALS.where(ChargePoint.ocpp_id.in_(chunk)))
                rows.update({row.ocpp_id: row for row in result})
        return rows


class Authenticator:
    def __init__(self, db: Database, failures_per_minute: int) -> None:
        self._db = db
        self._limiter = FailureLimiter(failures_per_minute)
        self._lookup = _CredentialLookup(db)

    async def authenticate(self, ocpp_id: str, authorization: str | None, source: str) -> ChargerIdentity:
        source_key, identity_key = f"ip:{source}", f"id:{ocpp_id}"
        if self._limiter.blocked(source_key) or self._limiter.blocked(identity_key):
            raise HandshakeRefused(429, "Too many failed attempts; try again later")
        row = await self._lookup.get(ocpp_id)
        if row is None:
            self._limiter.failed(source_key)
            raise HandshakeRefused(404, "Unknown charge point")
        credentials = basic_credentials(authorization)
        if credentials is None or credentials[0] != ocpp_id or not verify_password(credentials[1], row.credential_hash):
            self._limiter.failed(source_key)
            self._limiter.failed(identity_key)
            raise HandshakeRefused(401, "Authentication required")
        if row.commissioning_state == CommissioningState.retired:
            raise HandshakeRefused(403, "Charge point retired")
        return ChargerIdentity(row.id, ocpp_id, row.organization_id, row.site_id)
