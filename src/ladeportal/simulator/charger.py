"""A simulated OCPP 1.6J charge point that behaves like a real one against any central system."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from websockets.exceptions import InvalidHandshake

from ladeportal.simulator.authorization import AuthCache, LocalAuthList
from ladeportal.simulator.configuration import Configuration
from ladeportal.simulator.connection import FrameLog, OcppConnection
from ladeportal.simulator.connectors import Connector, Transaction
from ladeportal.simulator.frames import CallErrorReply, ConnectionLost, HandlerError, Payload, timestamp
from ladeportal.simulator.handlers import HANDLERS, Followup
from ladeportal.simulator.outbox import Outbox, QueuedMessage

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
TRANSACTION_ACTIONS = ("StartTransaction", "StopTransaction", "MeterValues")


def utc_now() -> datetime:
    return datetime.now(UTC)


async def _cancel(task: asyncio.Task[Any]) -> None:
    # Python 3.11's wait_for can swallow a cancellation that races with its result, so insist.
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=0.5)
    if not task.cancelled() and task.exception() is not None:
        logger.warning("session ended with %r", task.exception())


class SimulatedCharger:
    """One charge point. `connect()` boots it; the other coroutines act as a driver would."""

    def __init__(
        self,
        url: str,
        charge_point_id: str,
        password: str | None = None,
        connectors: int = 1,
        *,
        meter_interval: int = 60,
        heartbeat_interval: int = 300,
        vendor: str = "Ladeportal",
        model: str = "SIM-22",
        firmware: str = "1.0.0",
        clock: Clock = utc_now,
        reconnect_delay: float = 2.0,
        max_reconnect_delay: float = 60.0,
        boot_retry_interval: float = 30.0,
        call_timeout: float = 30.0,
        compression: str | None = None,
    ) -> None:
        self.url = url
        self.charge_point_id = charge_point_id
        self.password = password
        self.vendor, self.model, self.firmware = vendor, model, firmware
        self.clock = clock
        self.reconnect_delay = reconnect_delay
        self.max_reconnect_delay = max_reconnect_delay
        self.boot_retry_interval = boot_retry_interval
        self.call_timeout = call_timeout
        self.compression = compression
        self.config = Configuration(connectors, meter_interval, heartbeat_interval)
        self.connectors = {n: Connector(n) for n in range(1, connectors + 1)}
        self.local_list = LocalAuthList()
        self.auth_cache = AuthCache()
        self.log = FrameLog()
        self.outbox = Outbox()
        self.transactions: list[Transaction] = []
        self.replies: dict[str, Payload] = {}
        self.call_errors: list[CallErrorReply] = []
        self.received_calls: list[tuple[str, Payload]] = []
        self.registration: str | None = None
        self.boots = 0
        self.connects = 0
        self.last_connect_error: BaseException | None = None
        self.data_transfer_vendor = vendor
        self.operative = True
        self.connection: OcppConnection | None = None
        self.ready = asyncio.Event()  # connected and registration Accepted
        self._want_online = False
        self._supervisor: asyncio.Task[None] | None = None
        self._boot_now = asyncio.Event()
        self._background: set[asyncio.Task[Any]] = set()

    # --- lifecycle ---------------------------------------------------------------------------

    @property
    def online(self) -> bool:
        return self.ready.is_set() and self.connection is not None and self.connection.is_open

    async def connect(self, within: float = 30.0) -> None:
        """Go online and wait until BootNotification is Accepted (first time) or reconnected."""
        self._want_online = True
        if self._supervisor is None or self._supervisor.done():
            self._supervisor = asyncio.create_task(self._supervise())
        async with asyncio.timeout(within):
            await self.ready.wait()

    async def go_online(self, within: float = 30.0) -> None:
        """Network back: reconnect (no new boot, as real chargers do) and send what was queued."""
        await self.connect(within)
        async with asyncio.timeout(within):
            await self.outbox.wait_empty()

    async def go_offline(self) -> None:
        """Network gone. Transactions and sampling continue; their messages wait in the outbox."""
        self._want_online = False
        await self._stop_supervisor()

    async def reboot(self, reason: str = "Reboot", within: float = 30.0) -> None:
        """Power cycle: stop transactions, reconnect and send BootNotification again."""
        for connector in self.connectors.values():
            if connector.busy:
                await self.stop_transaction(connector.connector_id, reason=reason, wait=False)
        if self.online and reason != "HardReset":
            # A soft reset lets the charger deliver its stop messages first.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(within, 5.0)):
                    await self.outbox.wait_empty()
        await self.go_offline()
        self.registration = None
        for connector in self.connectors.values():
            connector.reported_status = None  # everything is reported again after the boot
        await self.connect(within)

    async def close(self) -> None:
        self._want_online = False
        for connector in self.connectors.values():
            self._stop_sampler(connector)
        for task in list(self._background):
            task.cancel()
        await self._stop_supervisor()

    async def _stop_supervisor(self) -> None:
        self.ready.clear()
        if self._supervisor is not None:
            await _cancel(self._supervisor)
            self._supervisor = None
        if self.connection is not None:
            await self.connection.close()

    async def _supervise(self) -> None:
        delay = self.reconnect_delay
        while self._want_online:
            connection = OcppConnection(
                self.url,
                self.charge_point_id,
                self.password,
                self._on_call,
                self.log,
                call_timeout=self.call_timeout,
                compression=self.compression,
            )
            try:
                await connection.open()
            except (OSError, InvalidHandshake, ConnectionLost, TimeoutError) as exc:
                self.last_connect_error = exc
                logger.info("%s: connect failed: %s", self.charge_point_id, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_reconnect_delay)
                continue
            self.connection = connection
            self.connects += 1
            delay = self.reconnect_delay
            session = asyncio.create_task(self._session())
            try:
                await connection.closed.wait()
            finally:
                self.ready.clear()
                await _cancel(session)
                await connection.close()
            if self._want_online:
                await asyncio.sleep(delay)

    async def _session(self) -> None:
        try:
            if self.registration != "Accepted":
                await self._boot()
            max_attempts = self.config.get_int("TransactionMessageAttempts")
            await self.outbox.drain(self._send_queued, max_attempts, self._retry_interval())
            await self._report_statuses()
            # Only now: a driver action must not overtake the queued messages or the boot statuses.
            self.ready.set()
            pump = asyncio.create_task(
                self.outbox.run(
                    self._send_queued,
                    lambda: self.config.get_int("TransactionMessageAttempts"),
                    self._retry_interval,
                )
            )
            try:
                await self._heartbeats()
            finally:
                pump.cancel()
        except ConnectionLost:
            pass  # the supervisor sees the closed socket and reconnects

    def _retry_interval(self) -> float:
        return float(self.config.get_int("TransactionMessageRetryInterval"))

    async def _boot(self) -> None:
        while True:
            self._boot_now.clear()
            try:
                reply = await self.boot_notification()
            except (CallErrorReply, TimeoutError):
                wait = self.boot_retry_interval
            else:
                if self.registration == "Accepted":
                    return
                # Pending/Rejected: the interval says when to try again (0 = our own default).
                wait = float(reply.get("interval") or self.boot_retry_interval)
            # A TriggerMessage(BootNotification) while Pending cuts the wait short.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self._boot_now.wait()

    async def _heartbeats(self) -> None:
        while True:
            await asyncio.sleep(max(1, self.config.get_int("HeartbeatInterval")))
            with contextlib.suppress(CallErrorReply, TimeoutError):
                await self.heartbeat()

    # --- messages to the central system ------------------------------------------------------

    async def call(self, action: str, payload: Payload) -> Payload:
        connection = self.connection
        if connection is None or not connection.is_open:
            raise ConnectionLost(action)
        try:
            reply = await connection.call(action, payload)
        except CallErrorReply as exc:
            self.call_errors.append(exc)
            raise
        self.replies[action] = reply
        return reply

    def last_reply(self, action: str) -> Payload | None:
        return self.replies.get(action)

    async def boot_notification(self) -> Payload:
        reply = await self.call(
            "BootNotification",
            {
                "chargePointVendor": self.vendor,
                "chargePointModel": self.model,
                "chargePointSerialNumber": self.charge_point_id[-25:],
                "firmwareVersion": self.firmware,
            },
        )
        self.boots += 1
        self.registration = reply.get("status")
        if self.registration == "Accepted" and reply.get("interval", 0) > 0:
            self.config.set("HeartbeatInterval", str(reply["interval"]))
        return reply

    async def heartbeat(self) -> Payload:
        return await self.call("Heartbeat", {})

    async def data_transfer(self, vendor_id: str, message_id: str | None = None, data: str | None = None) -> Payload:
        payload: Payload = {"vendorId": vendor_id}
        if message_id is not None:
            payload["messageId"] = message_id
        if data is not None:
            payload["data"] = data
        return await self.call("DataTransfer", payload)

    async def set_status(self, connector_id: int, status: str, error_code: str = "NoError") -> None:
        connector = self.connectors[connector_id]
        connector.status, connector.error_code = status, error_code
        if self.online:
            await self._send_status(connector)

    async def _send_status(self, connector: Connector) -> None:
        with contextlib.suppress(ConnectionLost, CallErrorReply, TimeoutError):
            await self.call(
                "StatusNotification",
                {
                    "connectorId": connector.connector_id,
                    "errorCode": connector.error_code,
                    "status": connector.status,
                    "timestamp": timestamp(self.clock()),
                },
            )
            connector.reported_status = connector.status

    async def send_charge_point_status(self) -> None:
        with contextlib.suppress(ConnectionLost, CallErrorReply, TimeoutError):
            await self.call(
                "StatusNotification",
                {
                    "connectorId": 0,
                    "errorCode": "NoError",
                    "status": "Available" if self.operative else "Unavailable",
                    "timestamp": timestamp(self.clock()),
                },
            )

    async def _report_statuses(self) -> None:
        """After a boot every connector is reported; after a reconnect only what changed."""
        if all(c.reported_status is None for c in self.connectors.values()):
            await self.send_charge_point_status()
        for connector in self.connectors.values():
            if connector.status != connector.reported_status:
                await self._send_status(connector)

    async def _send_queued(self, item: QueuedMessage) -> Payload:
        payload = dict(item.payload)
        transaction = item.transaction
        if item.action != "StartTransaction" and transaction is not None:
            # The id exists only once the central system has answered the (maybe queued) start;
            # -1 tells it the start never got through, so it can reconcile the orphan.
            payload["transactionId"] = transaction.transaction_id if transaction.transaction_id is not None else -1
        reply = await self.call(item.action, payload)
        if item.action == "StartTransaction" and transaction is not None:
            await self._on_start_reply(transaction, reply)
        elif item.action == "StopTransaction" and "idTagInfo" in reply and transaction is not None:
            self._remember(transaction.id_tag, reply["idTagInfo"])
        return reply

    # --- authorization -------------------------------------------------------------------------

    def _remember(self, id_tag: str, id_tag_info: Payload) -> None:
        if self.config.get_bool("AuthorizationCacheEnabled") and self.local_list.lookup(id_tag) is None:
            self.auth_cache.remember(id_tag, id_tag_info)

    def authorize_locally(self, id_tag: str) -> Payload | None:
        """The local list first, then the cache (OCPP 1.6 section 3.5); None if neither knows."""
        now = self.clock()
        if self.config.get_bool("LocalAuthListEnabled") and self.local_list.lookup(id_tag) is not None:
            accepted = self.local_list.accepts(id_tag, now)
            return self.local_list.lookup(id_tag) if accepted else {"status": "Invalid"}
        if self.config.get_bool("AuthorizationCacheEnabled") and self.auth_cache.accepts(id_tag, now):
            return self.auth_cache.entries[id_tag]
        return None

    async def authorize(self, id_tag: str) -> Payload:
        """Returns the idTagInfo this charger acts on, online or offline."""
        if self.online:
            local = self.authorize_locally(id_tag)
            if local is not None and local.get("status") == "Accepted" and self.config.get_bool("LocalPreAuthorize"):
                return local
            try:
                reply = await self.call("Authorize", {"idTag": id_tag})
            except CallErrorReply:
                return {"status": "Invalid"}
            except (ConnectionLost, TimeoutError):
                pass  # fall through to offline authorization
            else:
                self._remember(id_tag, reply.get("idTagInfo", {}))
                return dict(reply.get("idTagInfo", {"status": "Invalid"}))
        if not self.config.get_bool("LocalAuthorizeOffline"):
            return {"status": "Invalid"}
        local = self.authorize_locally(id_tag)
        if local is not None:
            return local
        if self.config.get_bool("AllowOfflineTxForUnknownId"):
            return {"status": "Accepted"}
        return {"status": "Invalid"}

    # --- driver actions ----------------------------------------------------------------------

    async def plug_in(self, connector_id: int = 1) -> None:
        connector = self.connectors[connector_id]
        connector.plugged = True
        if connector.operative and not connector.busy:
            await self.set_status(connector_id, "Preparing")

    async def plug_out(self, connector_id: int = 1) -> None:
        """The driver pulls the cable: a running transaction ends with EVDisconnected."""
        connector = self.connectors[connector_id]
        connector.plugged = False
        if connector.busy and self.config.get_bool("StopTransactionOnEVSideDisconnect"):
            await self.stop_transaction(connector_id, reason="EVDisconnected", final_status=None)
        await self.set_status(connector_id, "Available" if connector.operative else "Unavailable")

    async def swipe(self, id_tag: str, connector: int = 1) -> Transaction | None:
        """An RFID card at the reader: stops this tag's transaction, or authorizes and starts one."""
        state = self.connectors[connector]
        if state.busy and state.transaction is not None:
            if state.transaction.id_tag == id_tag:
                return await self.stop_transaction(connector, reason="Local")
            return None  # another card cannot end someone else's session
        if not state.operative:
            return None
        info = await self.authorize(id_tag)
        if info.get("status") != "Accepted":
            return None
        if not state.plugged:
            await self.plug_in(connector)
        return await self.start_transaction(connector, id_tag)

    async def start_transaction(self, connector_id: int, id_tag: str, wait: bool = True) -> Transaction:
        connector = self.connectors[connector_id]
        now = self.clock()
        transaction = Transaction(connector_id, id_tag, connector.meter.register_wh, now)
        connector.transaction = transaction
        connector.last_advance = now
        self.transactions.append(transaction)
        item = self.outbox.put(
            "StartTransaction",
            {
                "connectorId": connector_id,
                "idTag": id_tag,
                "meterStart": transaction.meter_start,
                "timestamp": timestamp(now),
            },
            transaction,
        )
        self._start_sampler(connector)
        await self._then_status(item, connector_id, "Charging", wait)
        return transaction

    async def _on_start_reply(self, transaction: Transaction, reply: Payload) -> None:
        transaction.transaction_id = reply.get("transactionId")
        info = reply.get("idTagInfo", {})
        transaction.id_tag_status = info.get("status")
        self._remember(transaction.id_tag, info)
        if (
            transaction.id_tag_status != "Accepted"
            and transaction.active
            and self.config.get_bool("StopTransactionOnInvalidId")
        ):
            # Called from the outbox pump: queue the stop without waiting for it.
            await self.stop_transaction(transaction.connector_id, reason="DeAuthorized", wait=False)

    async def stop_transaction(
        self, connector_id: int, reason: str = "Local", wait: bool = True, final_status: str | None = "Finishing"
    ) -> Transaction | None:
        connector = self.connectors[connector_id]
        transaction = connector.transaction
        if transaction is None or not transaction.active:
            return None
        self._stop_sampler(connector)
        self._advance(connector)
        now = self.clock()
        transaction.meter_stop = connector.meter.register_wh
        transaction.stopped_at, transaction.stop_reason = now, reason
        payload: Payload = {
            "idTag": transaction.id_tag,
            "meterStop": transaction.meter_stop,
            "timestamp": timestamp(now),
            "reason": reason,
            "transactionData": [
                {
                    "timestamp": timestamp(transaction.started_at),
                    "sampledValue": [
                        {**connector.meter.register_value("Transaction.Begin"), "value": str(transaction.meter_start)}
                    ],
                },
                {"timestamp": timestamp(now), "sampledValue": [connector.meter.register_value("Transaction.End")]},
            ],
        }
        item = self.outbox.put("StopTransaction", payload, transaction)
        if connector.pending_inoperative:
            connector.pending_inoperative, connector.operative = False, False
            final_status = "Unavailable"
        await self._then_status(item, connector_id, final_status, wait)
        return transaction

    async def _then_status(self, item: QueuedMessage, connector_id: int, status: str | None, wait: bool) -> None:
        """Report the new status once the transaction message is answered, as chargers do."""
        if status is not None:
            self.connectors[connector_id].status = status

        async def report() -> None:
            await self._settle(item)
            connector = self.connectors[connector_id]
            if self.online and connector.status == status:
                await self._send_status(connector)

        if wait:
            await report()
        elif status is not None:
            self.spawn(report())

    async def meter_tick(self, connector_id: int = 1, context: str = "Sample.Periodic", wait: bool = True) -> None:
        """Take a sample now (energy advances with the clock) and send or queue MeterValues."""
        connector = self.connectors[connector_id]
        self._advance(connector)
        transaction = connector.transaction if connector.busy else None
        payload: Payload = {
            "connectorId": connector_id,
            "meterValue": [
                {"timestamp": timestamp(self.clock()), "sampledValue": connector.meter.sampled_values(context)}
            ],
        }
        if transaction is None:
            with contextlib.suppress(ConnectionLost, CallErrorReply, TimeoutError):
                await self.call("MeterValues", payload)
            return
        item = self.outbox.put("MeterValues", payload, transaction)
        if wait:
            await self._settle(item)

    def _advance(self, connector: Connector) -> None:
        now = self.clock()
        if connector.busy and connector.last_advance is not None:
            connector.meter.advance(max(0.0, (now - connector.last_advance).total_seconds()))
        connector.last_advance = now

    async def _settle(self, item: QueuedMessage) -> None:
        """Wait for the message's reply while online; offline it just stays queued."""
        if not self.online:
            return
        connection = self.connection
        assert connection is not None
        closed = asyncio.ensure_future(connection.closed.wait())
        waiting: set[asyncio.Future[Any]] = {item.done, closed}
        try:
            await asyncio.wait(waiting, timeout=self.call_timeout * 2, return_when=asyncio.FIRST_COMPLETED)
        finally:
            closed.cancel()

    def _start_sampler(self, connector: Connector) -> None:
        interval = self.config.get_int("MeterValueSampleInterval")
        if interval > 0 and connector.sampler is None:
            connector.sampler = asyncio.create_task(self._sample(connector.connector_id))

    def _stop_sampler(self, connector: Connector) -> None:
        if connector.sampler is not None:
            connector.sampler.cancel()
            connector.sampler = None

    async def _sample(self, connector_id: int) -> None:
        while True:
            await asyncio.sleep(max(1, self.config.get_int("MeterValueSampleInterval")))
            await self.meter_tick(connector_id, wait=False)

    # --- calls from the central system -------------------------------------------------------

    async def _on_call(self, message_id: str, action: str, payload: Payload) -> None:
        self.received_calls.append((action, payload))
        connection = self.connection
        if connection is None:
            return
        handler = HANDLERS.get(action)
        followup: Followup | None = None
        try:
            if handler is None:
                raise HandlerError("NotImplemented", f"{action} is not implemented")
            if not isinstance(payload, dict):
                raise HandlerError("FormationViolation", "payload is not an object")
            reply, followup = await handler(self, payload)
        except HandlerError as exc:
            await connection.send_error(message_id, exc.code, exc.description)
            return
        except KeyError as exc:
            await connection.send_error(message_id, "ProtocolError", f"missing {exc}")
            return
        except (TypeError, ValueError) as exc:
            await connection.send_error(message_id, "TypeConstraintViolation", str(exc))
            return
        with contextlib.suppress(ConnectionLost):
            await connection.send_result(message_id, reply)
        if followup is not None:
            # Outside the reader: a followup may reboot the charger and close this connection.
            self.spawn(followup())

    def spawn(self, coroutine: Any) -> asyncio.Task[Any]:
        task = asyncio.create_task(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    def wake_boot(self) -> None:
        self._boot_now.set()
