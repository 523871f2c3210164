"""The opening handshake: which charger is this, and may it connect (security profiles 1 and 2).

Unknown identity -> 404, missing or wrong Basic credentials -> 401, retired -> 403, too many failures
from this address or for this identity -> 429. The outcome is decided before the WebSocket exists,
so a refused client never reaches the connection registry and can never displace a charger.

The failure limit throttles failures only: a correct credential is checked first and always gets in.
Otherwise anyone could lock a charger out by flooding its identity with wrong passwords, and one
charger with a bad password would lock out every charger behind the same NAT or 4G router. Guessing
stays hopeless (128-bit credentials) and each refused guess costs a batched lookup and one SHA-256.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, select

from ladeportal.chargers.credentials import verify_password
from ladeportal.chargers.models import ChargePoint, CommissioningState, Connector
from ladeportal.db.engine import Database
from ladeportal.ocpp.ratelimit import FailureLimiter
from ladeportal.sessions.services import ChargerRef

log = logging.getLogger(__name__)
OCPP_PATH_PREFIX = "/ocpp/"


@dataclass(frozen=True, slots=True)
class ChargerIdentity:
    charge_point_id: uuid.UUID
    ocpp_id: str
    organization_id: uuid.UUID
    site_id: uuid.UUID
    # The protocol to speak when the charger offers no subprotocol (older 1.6 chargers); None: close.
    fallback_subprotocol: str | None = None
    # Its connector numbers at the handshake (0, the charger itself, included), read with the credential
    # so a reconnect storm does not cost one query per charger to check connector ids.
    connectors: frozenset[int] = frozenset({0})

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
    ident = path[len(OCPP_PATH_PREFIX) :]
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


_CREDENTIALS = select(
    ChargePoint.id,
    ChargePoint.ocpp_id,
    ChargePoint.organization_id,
    ChargePoint.site_id,
    ChargePoint.credential_hash,
    ChargePoint.commissioning_state,
    ChargePoint.fallback_subprotocol,
)
_LOOKUP_CHUNK = 500  # bounded IN lists
_Found = tuple[Row[Any], frozenset[int]]  # a charger's credential row and its connector numbers


class _CredentialLookup:
    """Charger rows for handshakes, fetched for all handshakes waiting at once.

    In a reconnect storm thousands of chargers connect within seconds; one query (and one session)
    per handshake would make the database round trips the limit. A handshake that finds no query
    running starts one at once (no added delay); those arriving meanwhile share the next one. Each
    query reads the rows fresh, so a retired charger or a new credential counts from then on.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self._waiting: dict[str, list[asyncio.Future[_Found | None]]] = {}
        self._task: asyncio.Task[None] | None = None

    async def get(self, ocpp_id: str) -> _Found | None:
        future: asyncio.Future[_Found | None] = asyncio.get_running_loop().create_future()
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

    async def _fetch(self, ids: list[str]) -> dict[str, _Found]:
        rows: dict[str, Row[Any]] = {}
        connectors: dict[uuid.UUID, set[int]] = {}
        async with self._db.engine.connect() as conn:
            for start in range(0, len(ids), _LOOKUP_CHUNK):
                chunk = ids[start : start + _LOOKUP_CHUNK]
                result = await conn.execute(_CREDENTIALS.where(ChargePoint.ocpp_id.in_(chunk)))
                found = {row.ocpp_id: row for row in result}
                rows.update(found)
                if found:
                    numbers = await conn.execute(
                        select(Connector.charge_point_id, Connector.number).where(
                            Connector.charge_point_id.in_([row.id for row in found.values()])
                        )
                    )
                    for cp_id, number in numbers:
                        connectors.setdefault(cp_id, set()).add(number)
        return {ocpp_id: (row, frozenset({0, *connectors.get(row.id, ())})) for ocpp_id, row in rows.items()}


class Authenticator:
    def __init__(self, db: Database, failures_per_minute: int) -> None:
        self._db = db
        self._limiter = FailureLimiter(failures_per_minute)
        self._lookup = _CredentialLookup(db)

    async def authenticate(self, ocpp_id: str, authorization: str | None, source: str) -> ChargerIdentity:
        try:
            return await self._authenticate(ocpp_id, authorization, source)
        except HandshakeRefused as refused:
            # Refusals are routine (scanners, a charger with an old password): info, not error.
            log.info("OCPP handshake for %r from %s refused: %s %s", ocpp_id, source, refused.status, refused.reason)
            raise

    async def _authenticate(self, ocpp_id: str, authorization: str | None, source: str) -> ChargerIdentity:
        source_key, identity_key = f"ip:{source}", f"id:{ocpp_id}"
        found = await self._lookup.get(ocpp_id)
        row = found[0] if found is not None else None
        credentials = basic_credentials(authorization)
        if (
            row is not None
            and credentials is not None
            and credentials[0] == ocpp_id
            and verify_password(credentials[1], row.credential_hash)
        ):
            # Checked before the limiter: a flood of wrong guesses never keeps the right one out.
            if row.commissioning_state == CommissioningState.retired:
                raise HandshakeRefused(403, "Charge point retired")
            return ChargerIdentity(
                row.id,
                ocpp_id,
                row.organization_id,
                row.site_id,
                row.fallback_subprotocol,
                found[1] if found is not None else frozenset({0}),
            )
        blocked = self._limiter.blocked(source_key) or (row is not None and self._limiter.blocked(identity_key))
        self._limiter.failed(source_key)
        if row is not None:  # unknown ids are counted per address only: they must not fill the table
            self._limiter.failed(identity_key)
        if blocked:
            raise HandshakeRefused(429, "Too many failed attempts; try again later")
        if row is None:
            raise HandshakeRefused(404, "Unknown charge point")
        raise HandshakeRefused(401, "Authentication required")
