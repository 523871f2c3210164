"""The outbox handler that brings every charger of an organisation up to date with its local list.

It always sends the *current* full list with the current version, so running a task twice, or an
older task after a newer one, is harmless (at-least-once delivery is enough). A charger that is
offline is skipped: it is not an error worth retrying for the whole organisation, and the list is
sent again with the next change.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

from sqlalchemy import select

from ladeportal.chargers.commands import CommandFailed, send_command
from ladeportal.chargers.models import ChargePoint, CommissioningState
from ladeportal.db.engine import Database
from ladeportal.jobs.outbox import TaskContext, task_handler
from ladeportal.members.local_list import SYNC_TASK, compute_local_list, local_list_version, send_local_list_payload
from ladeportal.platform.audit import Actor

log = logging.getLogger(__name__)
ACTOR = Actor.system("local-list-sync")
CONCURRENCY = 8


async def sync_organization(db: Database, org_id: uuid.UUID) -> dict[str, str]:
    """Send the list to each active charger; returns charger id -> outcome (for logs and tests)."""
    outcomes: dict[str, str] = {}
    async with db.session() as session:
        chargers = (await session.scalars(
            select(ChargePoint.id).where(
                ChargePoint.organization_id == org_id,
                ChargePoint.commissioning_state == CommissioningState.active,
            )
        )).all()
        version = await local_list_version(session, org_id)
    # Concurrently, a few at a time: an offline charger costs a whole command timeout.
    limit = asyncio.Semaphore(CONCURRENCY)

    async def one(cp_id: uuid.UUID) -> None:
        async with limit, db.session() as session:
            entries = await compute_local_list(session, org_id, charge_point_id=cp_id)
            payload = send_local_list_payload(entries, version)
            try:
                result = await send_command(session, ACTOR, org_id, cp_id, "SendLocalList", payload)
            except CommandFailed as exc:
                outcomes[str(cp_id)] = exc.code
                return
            outcomes[str(cp_id)] = str((result.response or {}).get("status", result.state.value))

    await asyncio.gather(*(one(cp_id) for cp_id in chargers))
    return outcomes


@task_handler(SYNC_TASK)
async def handle_sync_local_list(db: Database, payload: dict[str, Any], ctx: TaskContext) -> None:
    org_id = uuid.UUID(payload["organization_id"])
    queued_version = payload.get("version")
    if queued_version is not None:
        async with db.session() as session:
            current = await local_list_version(session, org_id)
        if int(queued_version) < current:
            # A newer change queued its own task, which sends the same full list: a burst of edits
            # (an import, the demo) costs one round of SendLocalList instead of one per edit.
            log.info("local list sync for %s (task %s) superseded by version %s", org_id, ctx.task_id, current)
            return
    outcomes = await sync_organization(db, org_id)
    log.info("local list sync for %s (task %s): %s", payload["organization_id"], ctx.task_id, outcomes)
