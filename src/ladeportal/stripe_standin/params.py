"""Stripe's form encoding of nested parameters, decoded: `a[b][c]=` (hashes), `a[0]=` (indexed arrays),
`a[]=` (appended arrays), the same in query strings and in form-encoded bodies. Values stay strings;
each endpoint converts what it reads (booleans come as "true"/"false")."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from ladeportal.stripe_standin.errors import StripeApiError, invalid_param

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")
MAX_DEPTH = 8


def parse_params(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for key, value in pairs:
        match = _KEY.match(key)
        if match is None:
            raise StripeApiError(400, f"Invalid parameter name: {key}", param=key)
        parts = [match[1], *_SEGMENT.findall(match[2])]
        if len(parts) > MAX_DEPTH:
            raise StripeApiError(400, f"Parameter nested too deeply: {key}", param=key)
        _insert(root, parts, value, key)
    return _arrays(root)


def _insert(container: dict[str, Any], parts: list[str], value: str, key: str) -> None:
    *path, last = parts
    for part in path:
        name = part if part != "" else str(len(container))
        child = container.setdefault(name, {})
        if not isinstance(child, dict):
            raise StripeApiError(400, f"Invalid hash: {key} mixes a value and nested parameters", param=key)
        container = child
    name = last if last != "" else str(len(container))
    if isinstance(container.get(name), dict):
        raise StripeApiError(400, f"Invalid hash: {key} mixes a value and nested parameters", param=key)
    container[name] = value


def _arrays(node: Any) -> Any:
    """Hashes keyed 0..n-1 are arrays (both `a[0]=` and `a[]=` arrive as such hashes)."""
    if not isinstance(node, dict):
        return node
    converted = {name: _arrays(child) for name, child in node.items()}
    if converted and all(name.isdigit() for name in converted):
        indexes = sorted(int(name) for name in converted)
        if indexes == list(range(len(indexes))):
            return [converted[str(i)] for i in indexes]
    return converted


def as_bool(params: dict[str, Any], name: str, path: str | None = None) -> bool | None:
    value = params.get(name)
    if value is None:
        return None
    if value in ("true", "false"):
        return value == "true"
    raise invalid_param(path or name, f"Invalid boolean: {value}")


def as_string(params: dict[str, Any], name: str, path: str | None = None) -> str | None:
    value = params.get(name)
    if value is None or isinstance(value, str):
        return value
    raise invalid_param(path or name, f"Invalid string: {path or name} must be a string, not a hash or an array")


def as_hash(params: dict[str, Any], name: str, path: str | None = None) -> dict[str, Any] | None:
    value = params.get(name)
    if value is None:
        return None
    if isinstance(value, list):  # `metadata[0]=x` decodes as an array; a hash is what was meant
        return {str(i): v for i, v in enumerate(value)}
    if isinstance(value, dict):
        return value
    if value == "":  # Stripe's way of clearing a hash
        return {}
    raise StripeApiError(400, f"Invalid object: {path or name} must be a hash", param=path or name)


def as_list(params: dict[str, Any], name: str) -> list[Any]:
    value = params.get(name)
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        return [value]
    raise StripeApiError(400, f"Invalid array: {name} must be an array", param=name)


def as_int(params: dict[str, Any], name: str, *, low: int, high: int) -> int | None:
    value = params.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not re.fullmatch(r"-?\d+", value):
        raise StripeApiError(400, f"Invalid integer: {value}", code="parameter_invalid_integer", param=name)
    number = int(value)
    if not low <= number <= high:
        raise StripeApiError(
            400,
            f"This value must be greater than or equal to {low} and less than or equal to {high} "
            f"(it currently is '{number}').",
            code="parameter_invalid_integer",
            param=name,
        )
    return number


def reject_unknown(params: dict[str, Any], allowed: Iterable[str], prefix: str = "") -> None:
    known = set(allowed)
    for name in params:
        if name not in known:
            full = f"{prefix}[{name}]" if prefix else name
            raise StripeApiError(400, f"Received unknown parameter: {full}", code="parameter_unknown", param=full)
