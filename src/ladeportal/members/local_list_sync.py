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
from collections import defaultdict
from collections.abc import Collection
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select

from ladeportal.chargers.commands import CommandFailed, send_command
from ladeportal.chargers.models import ChargePoint, ChargerLocalList, CommissioningState
from ladeportal.db.base import utcnow
from ladeportal.db.engine import Database
from ladeportal.jobs.outbox import TaskContext, task_handler
from ladeportal.jobs.periodic import periodic
from ladeportal.members.local_list import (
    DIFFERENTIAL_REFUSED,
    SYNC_TASK,
    compute_local_list,
    local_list_update_for,
    local_list_version,
    send_local_list_payload,
)
from ladeportal.members.models import LocalListVersion
from ladeportal.platform.audit import Actor

log = logging.getLogger(__name__)
ACTOR = Actor.system("local-list-sync")
CONCURRENCY = 8
CATCH_UP_EVERY = timedelta(minutes=5)
# Seen this recently = probably connected now; older ones would only cost a command timeout each.
SEEN_WITHIN = timedelta(minutes=15)


async def sync_organization(
    db: Database, org_id: uuid.UUID, only: Collection[uuid.UUID] | None = None
) -> dict[str, str]:
    """Send the list to each active charger (or those in `only`); returns charger id -> outcome."""
    outcomes: dict[str, str] = {}
    async with db.session() as session:
        query = select(ChargePoint.id).where(
            ChargePoint.organization_id == org_id,
            ChargePoint.commissioning_state == CommissioningState.active,
        )
        if only is not None:
            query = query.where(ChargePoint.id.in_(list(only)))
        chargers = (await session.scalars(query)).all()
        version = await local_list_version(session, org_id)
    # Concurrently, a few at a time: an offline charger costs a whole command timeout.
    limit = asyncio.Semaphore(CONCURRENCY)

    async def one(cp_id: uuid.UUID) -> None:
        async with limit, db.session() as session:
            payload = await local_list_update_for(session, org_id, cp_id, version)
            try:
                result = await send_command(session, ACTOR, org_id, cp_id, "SendLocalList", payload)
                status = (result.response or {}).get("status")
                if payload["updateType"] == "Differential" and status in DIFFERENTIAL_REFUSED:
                    # The charger's list is not what we think (reset, replaced): send all of it.
                    entries = await compute_local_list(session, org_id, charge_point_id=cp_id)
                    full = send_local_list_payload(entries, version)
                    result = await send_command(session, ACTOR, org_id, cp_id, "SendLocalList", full)
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


@periodic("ocpp.local_list_catch_up", CATCH_UP_EVERY)
async def catch_up_local_lists(db: Database) -> dict[str, str]:
    """Chargers that were offline when their organisation's list changed missed the push; once they
    are seen again, send them the current list. One query every few minutes instead of work on every
    BootNotification, which would weigh on a reconnect storm."""
    seen_since = utcnow() - SEEN_WITHIN
    async with db.session() as session:
        rows = (await session.execute(
            select(ChargePoint.organization_id, ChargePoint.id)
            .join(LocalListVersion, LocalListVersion.organization_id == ChargePoint.organization_id)
            .outerjoin(ChargerLocalList, ChargerLocalList.charge_point_id == ChargePoint.id)
            .where(
                ChargePoint.commissioning_state == CommissioningState.active,
                ChargePoint.last_seen_at >= seen_since,
                or_(ChargerLocalList.version.is_(None), ChargerLocalList.version != LocalListVersion.version),
            )
        )).all()
    stale: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for org_id, cp_id in rows:
        stale[org_id].append(cp_id)
    outcomes: dict[str, str] = {}
    for org_id, cp_ids in stale.items():
        outcomes.update(await sync_organization(db, org_id, only=cp_ids))
    if outcomes:
        log.info("local list catch-up: %s", outcomes)
    return outcomes
