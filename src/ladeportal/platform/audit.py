"""Recording audit events inside the caller's transaction, so a change and its record commit together."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.platform.models import AuditEvent


@dataclass(frozen=True)
class Actor:
    """Who is acting: a signed-in user, or the system (CLI, charger, job) with a label."""

    label: str
    user_id: uuid.UUID | None = None
    is_operator: bool = False

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        return cls(label=label)


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def snapshot(obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {f: _plain(getattr(obj, f)) for f in fields}


def record(
    session: AsyncSession,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: uuid.UUID | str,
    *,
    organization_id: uuid.UUID | None = None,
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
) -> AuditEvent:
    if old is not None and new is not None:
        changed = {k for k in set(old) | set(new) if old.get(k) != new.get(k)}
        old = {k: v for k, v in old.items() if k in changed}
        new = {k: v for k, v in new.items() if k in changed}
    event = AuditEvent(
        organization_id=organization_id,
        actor_user_id=actor.user_id,
        actor_label=actor.label,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        old_values=old,
        new_values=new,
    )
    session.add(event)
    return event
