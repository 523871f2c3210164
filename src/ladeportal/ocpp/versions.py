"""The protocol version registry: subprotocol -> messages, schemas, handlers and commands.

OCPP 2.0.1 is added by writing an `ocpp/v201` package that builds a ProtocolVersion and registering it
here; connection handling, validation and command dispatch stay as they are.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ladeportal.ocpp.validation import Validator, compiled

if TYPE_CHECKING:
    from ladeportal.ocpp.connection import ChargerConnection

Payload = dict[str, Any]
Handler = Callable[["ChargerConnection", Payload], Awaitable[Payload]]


@dataclass(frozen=True, slots=True)
class IncomingAction:
    handler: Handler
    validate_request: Validator


@dataclass(frozen=True, slots=True)
class Command:
    """A request the central system may send to a charger."""

    validate_request: Validator
    validate_response: Validator


@dataclass(frozen=True)
class ProtocolVersion:
    subprotocol: str
    # Fault meaning (ocpp.frames.Fault) -> the error code as this version spells it.
    error_codes: Mapping[str, str]
    incoming: Mapping[str, IncomingAction]
    commands: Mapping[str, Command]
    # Actions the version defines that we do not handle: answered NotSupported, not NotImplemented.
    known_but_unsupported: frozenset[str] = field(default_factory=frozenset)

    def error_code(self, fault: str) -> str:
        return self.error_codes.get(fault, self.error_codes["generic"])


def schema_actions(
    package: str, handlers: Mapping[str, Handler], commands: list[str]
) -> tuple[dict[str, IncomingAction], dict[str, Command]]:
    """Build the incoming table and command table from schemas named after the actions."""
    incoming = {name: IncomingAction(handler, compiled(package, name)) for name, handler in handlers.items()}
    outgoing = {name: Command(compiled(package, name), compiled(package, f"{name}Response")) for name in commands}
    return incoming, outgoing


_REGISTRY: dict[str, ProtocolVersion] = {}


def register(version: ProtocolVersion) -> None:
    _REGISTRY[version.subprotocol] = version


def versions() -> Mapping[str, ProtocolVersion]:
    if not _REGISTRY:
        _load_builtin()
    return _REGISTRY


def get_version(subprotocol: str | None) -> ProtocolVersion | None:
    return versions().get(subprotocol or "")


def supported_subprotocols() -> list[str]:
    return list(versions())


def pick_subprotocol(offered: str | None) -> str | None:
    """The first subprotocol in the client's Sec-WebSocket-Protocol list that we speak."""
    if not offered:
        return None
    known = versions()
    for item in offered.split(","):
        name = item.strip()
        if name in known:
            return name
    return None


# OCPP-J: without an agreed subprotocol the server completes the handshake without one and closes.
NO_SUBPROTOCOL_CLOSE_CODE = 1008  # policy violation


@dataclass(frozen=True, slots=True)
class Negotiated:
    """The outcome of subprotocol negotiation: what to answer in the handshake, what to speak after."""

    subprotocol: str | None  # for the Sec-WebSocket-Protocol answer; None when the charger offered none
    version: ProtocolVersion | None  # None: complete the handshake, then close with NO_SUBPROTOCOL_CLOSE_CODE


def negotiate(offered: str | None, fallback: str | None) -> Negotiated:
    """Pick the version for a connection. A charger that offers no subprotocol at all gets its
    per-charger `fallback` (older chargers that speak 1.6 without saying so); one that offers only
    protocols we do not speak gets nothing, whatever the fallback."""
    chosen = pick_subprotocol(offered)
    if chosen is not None:
        return Negotiated(chosen, get_version(chosen))
    if not (offered or "").strip() and fallback:
        return Negotiated(None, get_version(fallback))
    return Negotiated(None, None)


def refusal_reason(offered: str | None) -> str:
    """The close reason (at most 123 bytes) for a connection without an agreed subprotocol."""
    supported = ", ".join(supported_subprotocols())
    if (offered or "").strip():
        return f"No common subprotocol; this server speaks {supported}"[:123]
    return f"No subprotocol offered; this server speaks {supported}"[:123]


def _load_builtin() -> None:
    from ladeportal.ocpp.v16 import VERSION as V16

    register(V16)
