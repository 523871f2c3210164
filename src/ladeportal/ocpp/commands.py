"""Checking a command against the charger's protocol version before it is recorded or sent."""

from __future__ import annotations

from typing import Any

import fastjsonschema

from ladeportal.errors import ValidationFailed
from ladeportal.ocpp.versions import get_version


def command_names(protocol: str) -> list[str]:
    version = get_version(protocol)
    return sorted(version.commands) if version else []


def check_command(protocol: str, action: str, payload: dict[str, Any]) -> dict[str, Any]:
    version = get_version(protocol)
    if version is None:
        raise ValidationFailed(
            f"The charger speaks {protocol!r}, which this server cannot command.",
            code="charger.protocol_uncommandable",
            params={"protocol": protocol},
        )
    command = version.commands.get(action)
    if command is None:
        raise ValidationFailed(
            f"Unknown command {action!r}; use one of {', '.join(sorted(version.commands))}.",
            field="action",
            code="charger.command_unknown",
            params={"action": action, "actions": ", ".join(sorted(version.commands))},
        )
    try:
        command.validate_request(payload)
    except fastjsonschema.JsonSchemaValueException as exc:
        text = str(exc.message)
        raise ValidationFailed(
            f"{action}: {text[5:] if text.startswith('data.') else text}",
            field="payload",
            code="charger.command_malformed",
            params={"action": action, "problem": text},
        ) from None
    return payload
