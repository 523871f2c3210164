"""`ladeportal gateway`: the gateway on a plain `websockets` server.

Authentication runs in `process_request`, before the upgrade, so a refused client costs one HTTP
response and never a WebSocket. permessage-deflate is off: it triples the memory of an idle connection
and OCPP frames are small.
"""

from __future__ import annotations

import logging
import ssl as ssl_module
from collections.abc import Sequence
from http import HTTPStatus

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from ladeportal.ocpp.auth import ChargerIdentity, HandshakeRefused, identity_from_path
from ladeportal.ocpp.connection import ChargerConnection
from ladeportal.ocpp.gateway import Gateway
from ladeportal.ocpp.versions import (
    NO_SUBPROTOCOL_CLOSE_CODE,
    negotiate,
    pick_subprotocol,
    refusal_reason,
    supported_subprotocols,
)

log = logging.getLogger(__name__)

LISTEN_BACKLOG = 4096  # the kernel caps it at net.core.somaxconn (4096 on current Linux)
HANDSHAKE_TIMEOUT_SECONDS = 30.0
# How long a closing handshake may take; shutdown must end well within the 10 s of a SIGTERM.
CLOSE_TIMEOUT_SECONDS = 3.0


class _WebsocketsLink:
    __slots__ = ("_ws",)

    def __init__(self, ws: ServerConnection) -> None:
        self._ws = ws

    async def send(self, text: str) -> None:
        await self._ws.send(text)

    async def close(self, code: int, reason: str) -> None:
        await self._ws.close(code, reason)


def _select_subprotocol(connection: ServerConnection, offered: Sequence[Subprotocol]) -> Subprotocol | None:
    # Never refuse here: without a common subprotocol OCPP-J completes the handshake (no
    # Sec-WebSocket-Protocol in the answer) and then closes, which the handler does.
    return Subprotocol(chosen) if (chosen := pick_subprotocol(",".join(offered))) else None


def _refuse(connection: ServerConnection, status: int, reason: str) -> Response:
    response = connection.respond(HTTPStatus(status), reason + "\n")
    if status == HTTPStatus.UNAUTHORIZED:
        response.headers["WWW-Authenticate"] = 'Basic realm="OCPP", charset="UTF-8"'
    return response


async def start_server(gateway: Gateway, host: str, port: int, ssl: ssl_module.SSLContext | None = None) -> Server:
    """Start listening (port 0 picks a free port: see `server.sockets`)."""

    async def process_request(connection: ServerConnection, request: Request) -> Response | None:
        ocpp_id = identity_from_path(request.path)
        if ocpp_id is None:
            return _refuse(connection, 404, "Not found")
        source = connection.remote_address[0] if connection.remote_address else "unknown"
        try:
            connection.ocpp_identity = await gateway.auth.authenticate(  # type: ignore[attr-defined]
                ocpp_id, request.headers.get("Authorization"), source
            )
        except HandshakeRefused as refused:
            return _refuse(connection, refused.status, refused.reason)
        return None

    async def handler(ws: ServerConnection) -> None:
        identity: ChargerIdentity = ws.ocpp_identity  # type: ignore[attr-defined]
        offered = ",".join(ws.request.headers.get_all("Sec-WebSocket-Protocol")) if ws.request else ""
        version = negotiate(offered, identity.fallback_subprotocol).version
        if version is None:
            reason = refusal_reason(offered)
            log.warning("%s offered subprotocols %r; closing: %s", identity.ocpp_id, offered, reason)
            await ws.close(NO_SUBPROTOCOL_CLOSE_CODE, reason)
            return
        conn = ChargerConnection(gateway, identity, version, _WebsocketsLink(ws))
        gateway.attach(conn)
        try:
            async for message in ws:
                await conn.receive(message)
        except ConnectionClosed:
            pass  # a charger that drops its link (4G, power cut) is routine, not a handler failure
        finally:
            gateway.detach(conn)

    return await serve(
        handler,
        host,
        port,
        ssl=ssl,
        process_request=process_request,
        subprotocols=supported_subprotocols(),  # type: ignore[arg-type]
        select_subprotocol=_select_subprotocol,
        # The one frame limit (LADEPORTAL_OCPP_MAX_FRAME_BYTES), the same as `serve` gives uvicorn.
        compression=None,
        max_size=gateway.max_frame_bytes,
        close_timeout=CLOSE_TIMEOUT_SECONDS,
        # Fewer buffered frames per idle socket; chargers send one message at a time anyway.
        max_queue=4,
        server_header=None,
        # After a deploy or an outage thousands of chargers reconnect at once. With the default
        # listen backlog (100) the kernel drops their SYNs and the chargers retry after 1, 3, 7,
        # 15, 31 s: a storm that the server could absorb in seconds then takes over a minute.
        backlog=LISTEN_BACKLOG,
        # The handshake clock starts at accept. In such a storm an accepted charger may wait its turn
        # (behind thousands of handshakes and their first messages) longer than the default 10 s,
        # and closing it then only makes it come back later; 30 s still ends idle half-open sockets.
        open_timeout=HANDSHAKE_TIMEOUT_SECONDS,
    )
