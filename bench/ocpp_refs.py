"""Reference OCPP 1.6 servers for the gateway benchmark.

  floor  bare websockets + json, every CALL answered with a CALLRESULT: the transport floor.
  stock  the stock `ocpp` library (ocpp.v16.ChargePoint with @on handlers, defaults, no
         persistence): what a Python developer builds first.

Run: python bench/ocpp_refs.py floor|stock --host 127.0.0.1 --port 9000
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
from datetime import UTC, datetime
from typing import Any

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

SUBPROTOCOLS = [Subprotocol("ocpp1.6")]


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --- floor ---------------------------------------------------------------------------------

_transaction_ids = itertools.count(1)


def _floor_payload(action: str) -> dict[str, Any]:
    # Just enough per action for the load clients' setup steps (they read transactionId).
    if action == "Heartbeat":
        return {"currentTime": now()}
    if action == "BootNotification":
        return {"currentTime": now(), "interval": 300, "status": "Accepted"}
    if action == "StartTransaction":
        return {"transactionId": next(_transaction_ids), "idTagInfo": {"status": "Accepted"}}
    if action in ("Authorize", "StopTransaction"):
        return {"idTagInfo": {"status": "Accepted"}}
    return {}


async def floor_handler(ws: ServerConnection) -> None:
    try:
        async for message in ws:
            frame = json.loads(message)
            if frame[0] == 2:
                await ws.send(json.dumps([3, frame[1], _floor_payload(frame[2])]))
    except ConnectionClosed:
        pass


# --- stock ---------------------------------------------------------------------------------


def stock_handler_factory() -> Any:
    from ocpp.routing import on
    from ocpp.v16 import ChargePoint, call_result
    from ocpp.v16.enums import Action, AuthorizationStatus, RegistrationStatus

    accepted = {"status": AuthorizationStatus.accepted}

    class CentralChargePoint(ChargePoint):  # type: ignore[misc]
        @on(Action.boot_notification)
        def on_boot(self, charge_point_vendor: str, charge_point_model: str, **_: Any) -> Any:
            return call_result.BootNotification(current_time=now(), interval=300, status=RegistrationStatus.accepted)

        @on(Action.heartbeat)
        def on_heartbeat(self) -> Any:
            return call_result.Heartbeat(current_time=now())

        @on(Action.status_notification)
        def on_status(self, **_: Any) -> Any:
            return call_result.StatusNotification()

        @on(Action.authorize)
        def on_authorize(self, id_tag: str) -> Any:
            return call_result.Authorize(id_tag_info=accepted)

        @on(Action.start_transaction)
        def on_start(self, **_: Any) -> Any:
            return call_result.StartTransaction(transaction_id=next(_transaction_ids), id_tag_info=accepted)

        @on(Action.stop_transaction)
        def on_stop(self, **_: Any) -> Any:
            return call_result.StopTransaction(id_tag_info=accepted)

        @on(Action.meter_values)
        def on_meter_values(self, **_: Any) -> Any:
            return call_result.MeterValues()

    async def handler(ws: ServerConnection) -> None:
        assert ws.request is not None
        charge_point = CentralChargePoint(ws.request.path.rsplit("/", 1)[-1], ws)
        with contextlib.suppress(ConnectionClosed):
            await charge_point.start()

    return handler


async def main(kind: str, host: str, port: int) -> None:
    handler = floor_handler if kind == "floor" else stock_handler_factory()
    # Chargers rarely negotiate permessage-deflate; without it, memory per connection is honest.
    async with serve(
        handler, host, port, subprotocols=SUBPROTOCOLS, compression=None, ping_interval=None, max_queue=16
    ) as server:
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("kind", choices=["floor", "stock"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    args = parser.parse_args()
    asyncio.run(main(args.kind, args.host, args.port))
