"""OCPP-J RPC frames: [2, id, action, payload] calls, [3, id, payload] results, [4, id, code, text, details].

Parsing never raises for a frame that names a message id: the caller gets a RpcFault it can answer
with a CALLERROR, and the connection stays open (OCPP-J: a malformed message does not end the session).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

CALL, CALLRESULT, CALLERROR = 2, 3, 4
MAX_MESSAGE_ID_LENGTH = 36
# OCPP 2.0.1 (4.2.3) answers a message whose id cannot be read with id "-1"; 1.6 is silent, so we
# use the same convention for both versions rather than stay silent and let the charger time out.
UNKNOWN_MESSAGE_ID = "-1"
_LEADING_ID = re.compile(r'^\s*\[\s*2\s*,\s*"([^"\\]{1,36})"')

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class Fault:
    """Error codes by meaning; each protocol version spells them on the wire (1.6: FormationViolation)."""

    formation = "formation"
    protocol = "protocol"
    not_implemented = "not_implemented"
    not_supported = "not_supported"
    internal = "internal"
    type_constraint = "type_constraint"
    property_constraint = "property_constraint"
    occurrence_constraint = "occurrence_constraint"
    security = "security"
    generic = "generic"


class RpcFault(Exception):
    """A CALL that must be answered with a CALLERROR."""

    def __init__(self, fault: str, description: str, message_id: str = UNKNOWN_MESSAGE_ID) -> None:
        super().__init__(description)
        self.fault = fault
        self.description = description[:255]
        self.message_id = message_id


@dataclass(slots=True)
class Call:
    message_id: str
    action: str
    payload: dict[str, Any]


@dataclass(slots=True)
class Reply:
    """A CALLRESULT (error_code None) or CALLERROR answering one of our commands."""

    message_id: str
    payload: dict[str, Any] | None
    error_code: str | None = None
    error_description: str | None = None


def message_id_prefix(text: str) -> str:
    """The message id of a CALL whose body we will not parse (too large): read from the first bytes."""
    match = _LEADING_ID.match(text[:64])
    return match.group(1) if match else UNKNOWN_MESSAGE_ID


def parse(text: str) -> Call | Reply | None:
    """Decode one frame. None means 'ignore' (an unknown message type number, per OCPP-J 4.1.3)."""
    try:
        frame = json.loads(text)
    except ValueError:
        raise RpcFault(Fault.formation, "Invalid JSON") from None
    if not isinstance(frame, list) or len(frame) < 3:
        raise RpcFault(Fault.formation, "A message is a JSON array [type, id, ...]")
    kind, message_id = frame[0], frame[1]
    if not isinstance(kind, int) or isinstance(kind, bool):
        raise RpcFault(
            Fault.formation,
            "The message type is a number",
            message_id if isinstance(message_id, str) else UNKNOWN_MESSAGE_ID,
        )
    if kind not in (CALL, CALLRESULT, CALLERROR):
        return None
    if not isinstance(message_id, str) or not message_id or len(message_id) > MAX_MESSAGE_ID_LENGTH:
        if kind in (CALLRESULT, CALLERROR):
            return None  # a CALLERROR answers only a CALL, never a reply
        raise RpcFault(Fault.formation, "The message id is a string of 1-36 characters")
    if kind == CALL:
        if len(frame) != 4 or not isinstance(frame[2], str):
            raise RpcFault(Fault.formation, "A CALL is [2, id, action, payload]", message_id)
        if not isinstance(frame[3], dict):
            raise RpcFault(Fault.formation, "The payload of a CALL is a JSON object", message_id)
        return Call(message_id, frame[2], frame[3])
    if kind == CALLRESULT:
        payload = frame[2]
        return Reply(
            message_id,
            payload if isinstance(payload, dict) else None,
            None if isinstance(payload, dict) else "FormationViolation",
            None if isinstance(payload, dict) else "payload is not an object",
        )
    if kind == CALLERROR:
        code = frame[2] if isinstance(frame[2], str) else "GenericError"
        description = frame[3] if len(frame) > 3 and isinstance(frame[3], str) else ""
        return Reply(message_id, None, code, description[:255])
    return None


def call(message_id: str, action: str, payload: dict[str, Any]) -> str:
    return _dumps([CALL, message_id, action, payload])


def call_result(message_id: str, payload: dict[str, Any]) -> str:
    return _dumps([CALLRESULT, message_id, payload])


def call_error(message_id: str, code: str, description: str, details: dict[str, Any] | None = None) -> str:
    return _dumps([CALLERROR, message_id, code, description, details or {}])
