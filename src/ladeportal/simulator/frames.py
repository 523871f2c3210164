"""OCPP-J 1.6 frames: the JSON arrays on the wire and the errors they carry."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from enum import IntEnum
from typing import Any

Payload = dict[str, Any]


class MessageType(IntEnum):
    CALL = 2
    CALLRESULT = 3
    CALLERROR = 4


class CallErrorReply(Exception):
    """The central system answered one of our CALLs with a CALLERROR."""

    def __init__(self, action: str, code: str, description: str, details: Payload) -> None:
        super().__init__(f"{action}: {code} {description}".strip())
        self.action = action
        self.code = code
        self.description = description
        self.details = details


class ConnectionLost(Exception):
    """The websocket went away before the reply arrived (or we are offline)."""


class HandlerError(Exception):
    """Raised by a handler of a server CALL; becomes a CALLERROR with this code (1.6 spelling)."""

    def __init__(self, code: str, description: str = "") -> None:
        super().__init__(description or code)
        self.code = code
        self.description = description


class MessageIds:
    """Unique ids per connection; a counter keeps frames short and tests predictable."""

    def __init__(self, prefix: str = "") -> None:
        self._prefix = prefix
        self._counter = itertools.count(1)

    def next(self) -> str:
        return f"{self._prefix}{next(self._counter)}"


def call(message_id: str, action: str, payload: Payload) -> str:
    return json.dumps([MessageType.CALL, message_id, action, payload], separators=(",", ":"))


def call_result(message_id: str, payload: Payload) -> str:
    return json.dumps([MessageType.CALLRESULT, message_id, payload], separators=(",", ":"))


def call_error(message_id: str, code: str, description: str = "", details: Payload | None = None) -> str:
    frame = [MessageType.CALLERROR, message_id, code, description, details or {}]
    return json.dumps(frame, separators=(",", ":"))


def timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and a Z: the form most central systems parse."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_timestamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
