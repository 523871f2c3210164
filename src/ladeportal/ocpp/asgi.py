"""`ladeportal serve`: the same gateway on the FastAPI app's WebSocket route /ocpp/{charge_point_id},
so portal and chargers share one port.

    ladeportal.ocpp.asgi.install(app)   # called by web.app.create_app

The gateway starts and stops inside the app's lifespan, on app.state.db with app.state.settings,
and is kept at app.state.ocpp_gateway.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from ladeportal.ocpp.auth import HandshakeRefused
from ladeportal.ocpp.connection import ChargerConnection
from ladeportal.ocpp.gateway import Gateway
from ladeportal.ocpp.versions import NO_SUBPROTOCOL_CLOSE_CODE, negotiate, refusal_reason
from ladeportal.settings import Settings, get_settings

log = logging.getLogger(__name__)


class _StarletteLink:
    __slots__ = ("_ws",)

    def __init__(self, ws: WebSocket) -> None:
        self._ws = ws

    async def send(self, text: str) -> None:
        await self._ws.send_text(text)

    async def close(self, code: int, reason: str) -> None:
        await self._ws.close(code, reason)


async def _deny(ws: WebSocket, status: int, reason: str) -> None:
    headers = {"WWW-Authenticate": 'Basic realm="OCPP", charset="UTF-8"'} if status == 401 else None
    if "websocket.http.response" in ws.scope.get("extensions", {}):
        await ws.send_denial_response(PlainTextResponse(reason + "\n", status_code=status, headers=headers))
    else:  # a server without the denial extension: refuse the upgrade (the client sees 403)
        await ws.close(1008, reason)


async def ocpp_endpoint(ws: WebSocket) -> None:
    gateway: Gateway = ws.app.state.ocpp_gateway
    ocpp_id = ws.path_params["charge_point_id"]
    source = ws.client.host if ws.client else "unknown"
    try:
        identity = await gateway.auth.authenticate(ocpp_id, ws.headers.get("authorization"), source)
    except HandshakeRefused as refused:
        await _deny(ws, refused.status, refused.reason)
        return
    offered = ",".join(ws.headers.getlist("sec-websocket-protocol"))
    negotiated = negotiate(offered, identity.fallback_subprotocol)
    await ws.accept(subprotocol=negotiated.subprotocol)
    if negotiated.version is None:
        # OCPP-J: complete the handshake without a subprotocol, then close.
        reason = refusal_reason(offered)
        log.warning("%s offered subprotocols %r; closing: %s", ocpp_id, offered, reason)
        await ws.close(NO_SUBPROTOCOL_CLOSE_CODE, reason)
        return
    conn = ChargerConnection(gateway, identity, negotiated.version, _StarletteLink(ws))
    gateway.attach(conn)
    try:
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                break
            data = message.get("text")
            await conn.receive(data if data is not None else message.get("bytes") or b"")
    except WebSocketDisconnect:
        pass
    finally:
        gateway.detach(conn)


@asynccontextmanager
async def gateway_lifespan(app: Any) -> AsyncIterator[Gateway]:
    """Run a gateway for the app's lifetime, on app.state.db, kept at app.state.ocpp_gateway."""
    settings: Settings = getattr(app.state, "settings", None) or get_settings()
    gateway = Gateway(app.state.db, settings)
    await gateway.start()
    app.state.ocpp_gateway = gateway
    try:
        yield gateway
    finally:
        await gateway.stop()


def install(app: Starlette) -> None:
    """Add the /ocpp/{charge_point_id} route and run the gateway in the app's lifespan (through the
    app's `lifespan_hooks` list when it has one, else by wrapping its lifespan)."""
    app.router.routes.append(WebSocketRoute("/ocpp/{charge_point_id}", ocpp_endpoint))
    hooks = getattr(app.state, "lifespan_hooks", None)
    if hooks is not None:
        hooks.append(gateway_lifespan)
        return
    inner: Callable[[Any], AbstractAsyncContextManager[Any]] = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(asgi_app: Any) -> AsyncIterator[Any]:
        async with inner(asgi_app) as state, gateway_lifespan(asgi_app):
            yield state

    app.router.lifespan_context = lifespan
