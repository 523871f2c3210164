"""structlog processors that keep secrets out of the log and every record small.

`redact_secrets` replaces the values of secret-looking keys (Authorization, Cookie, password, token,
...) and secret-looking text anywhere in a record, including rendered tracebacks: our API tokens
(lp_<prefix>_<secret>, the prefix stays so a token can still be identified), Bearer/Basic
credentials, portal cookies and token=... query parameters. `cap_sizes` shortens what is left.
"""

from __future__ import annotations

import re
import reprlib
from typing import Any

from structlog.types import EventDict, WrappedLogger

REDACTED = "[REDACTED]"
MAX_MESSAGE_CHARS = 8_192
MAX_EXCEPTION_CHARS = 32_768
MAX_VALUE_CHARS = 4_096
MAX_KEYS = 64
# Regular expressions run over at most this much of one string; the caps below keep far less.
_SCAN_CHARS = 1_000_000
_MAX_DEPTH = 6

_SECRET_KEY = re.compile(r"authorization|cookie|passw|secret|token|api[_-]?key|credential|csrf", re.IGNORECASE)
_SECRET_TEXT = [
    (re.compile(r"\b(lp_[0-9a-f]{8}_)[A-Za-z0-9_\-]+"), r"\1" + REDACTED),
    (re.compile(r"\b(Bearer|Basic)(\s+)(?!lp_[0-9a-f]{8}_)[A-Za-z0-9._~+/=\-_]+", re.IGNORECASE), r"\1\2" + REDACTED),
    (re.compile(r"\b((?:__Host-)?lp_[a-z]+=)[^;,\s'\"&]+"), r"\1" + REDACTED),
    (
        re.compile(
            r"\b((?:access_|refresh_|api_|csrf_)?token=|password=|secret=|api_?key=)[^&\s'\";,]+", re.IGNORECASE
        ),
        r"\1" + REDACTED,
    ),
    (
        re.compile(
            r"(['\"]?(?:authorization|cookie|x-api-key|x-csrf-token)['\"]?\s*[:,=]\s*b?['\"])[^'\"]*", re.IGNORECASE
        ),
        r"\1" + REDACTED,
    ),
]
_short = reprlib.Repr()
_short.maxstring = _short.maxother = 200
_short.maxlevel = 3


def clip(text: str, limit: int) -> str:
    """Keep the head and the tail (a traceback ends with the exception itself)."""
    if len(text) <= limit:
        return text
    head = limit // 4
    tail = limit - head
    return f"{text[:head]}\n[... {len(text) - limit} characters left out ...]\n{text[-tail:]}"


def redact_text(text: str) -> str:
    text = clip(text, _SCAN_CHARS)
    for pattern, replacement in _SECRET_TEXT:
        text = pattern.sub(replacement, text)
    return text


def _redact(value: Any, depth: int) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if depth >= _MAX_DEPTH:
        return value
    if isinstance(value, dict):
        return {
            k: REDACTED if isinstance(k, str) and _SECRET_KEY.search(k) and v else _redact(v, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_redact(v, depth + 1) for v in value]
    if isinstance(value, bytes):
        return redact_text(_short.repr(value))
    return value


def redact_secrets(logger: WrappedLogger, method: str, event_dict: EventDict) -> EventDict:
    redacted: EventDict = _redact(event_dict, 0)
    return redacted


def _cap(value: Any, depth: int) -> Any:
    if isinstance(value, str):
        return clip(value, MAX_VALUE_CHARS)
    if value is None or isinstance(value, bool | int | float):
        return value
    if depth < _MAX_DEPTH and isinstance(value, dict):
        return {str(k)[:200]: _cap(v, depth + 1) for k, v in list(value.items())[:MAX_KEYS]}
    if depth < _MAX_DEPTH and isinstance(value, list | tuple):
        return [_cap(v, depth + 1) for v in value[:MAX_KEYS]]
    # Anything else would be repr()'d in full by the renderer; reprlib stops early in containers.
    return redact_text(_short.repr(value))


def cap_sizes(logger: WrappedLogger, method: str, event_dict: EventDict) -> EventDict:
    capped: EventDict = {}
    for key, value in list(event_dict.items())[:MAX_KEYS]:
        if key == "event" and isinstance(value, str):
            capped[key] = clip(value, MAX_MESSAGE_CHARS)
        elif key == "exception" and isinstance(value, str):
            capped[key] = clip(value, MAX_EXCEPTION_CHARS)
        else:
            capped[key] = _cap(value, 0)
    return capped
