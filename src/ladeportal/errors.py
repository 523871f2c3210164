"""Errors that domain operations raise; every transport maps them to its own wire format.

The message is meant for the person who made the request: it names the field and says what is wrong,
in English (the JSON API returns it, the logs keep it). An error that pages show may also carry a
stable `code` ("member.phone_invalid") and the `params` its sentence needs; the portal translates it
by that code (web/portal/error_texts.py), so no page has to recognise an English sentence.
`kind` is the broad category the API reports as "error" ("invalid", "not_found", ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class DomainError(Exception):
    kind = "invalid"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        code: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code
        self.params: dict[str, Any] = dict(params or {})


class ValidationFailed(DomainError):
    kind = "invalid"


class NotFound(DomainError):
    kind = "not_found"


class Conflict(DomainError):
    kind = "conflict"


class PermissionDenied(DomainError):
    kind = "forbidden"
