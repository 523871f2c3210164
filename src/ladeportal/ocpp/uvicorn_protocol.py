"""The WebSocket protocol `ladeportal serve` gives uvicorn: its sans-I/O one, with refusals kept quiet.

A refused OCPP handshake (401, 404, 403, 429) is an HTTP denial response sent by the ASGI route. Uvicorn
then logs "returned without completing handshake" at ERROR, although the denial is exactly what the
route meant to send; scanners and chargers with an old password would fill the error log. The denial
is marked as a finished handshake here, so uvicorn only logs its usual info line with the status.
"""

from __future__ import annotations

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol


class OcppWebSocketProtocol(WebSocketsSansIOProtocol):
    async def send(self, message: object) -> None:
        await super().send(message)  # type: ignore[arg-type]
        if (
            isinstance(message, dict)
            and message.get("type") == "websocket.http.response.body"
            and not message.get("more_body", False)
        ):
            self.handshake_complete = True
