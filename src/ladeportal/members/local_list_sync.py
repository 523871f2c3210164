"""The outbox handler that brings every charger of an organisation up to date with its local list.

Each charger's list is computed when it is its turn to be sent, under the version current at that
moment, and the send is dropped if a newer version appears meanwhile (chargers.commands checks that
under the charger's send lock). So running a task twice, or an older task after a newer one, is
harmless, and a tag blocked a moment ago is never re-sent as accepted by an older list.

Only chargers whose socket is held by this process are sent to: waiting for another process's
gateway, or for a charger that is offline, would hold a worker slot for a whole command timeout. The
others are brought up to date by the gateway that holds them (`catch_up_held`, run by every gateway
for its own chargers a few seconds apart).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Collection
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.chargers.commands import CommandFailed, connected_here, send_command
from ladeportal.chargers.models import ChargePoint, ChargerLocalList, CommissioningState
from ladeportal.db.base import utcnow
from ladeportal.db.engine import Database
from ladeportal.jobs.outbox import TaskContext, task_handler
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
# A charger that did not take a version (refused it, timed out) is offered the same version again
# only after this long; a newer version is sent at once.
RETRY_SAME_VERSION = timedelta(minutes=5)
# Seen this recently = probably connected now.
SEEN_WITHIN = timedelta(minutes=15)
NOT_HERE = "not_connected_here"


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
    # Concurrently, a few at a time; chargers held elsewhere (or offline) are left to their gateway.
    limit = asyncio.Semaphore(CONCURRENCY)

    async def one(cp_id: uuid.UUID) -> None:
        if not connected_here(cp_id):
            outcomes[str(cp_id)] = NOT_HERE
            return
        async with limit, db.session() as session:
            outcomes[str(cp_id)] = await send_current_list(session, org_id, cp_id)

    await asyncio.gather(*(one(cp_id) for cp_id in chargers))
    return outcomes


async def send_current_list(session: AsyncSession, org_id: uuid.UUID, cp_id: uuid.UUID) -> str:
    """Send one charger the list as it stands now; returns the outcome (the charger's status or why not)."""
    try:
        version = await local_list_version(session, org_id)
        payload = await local_list_update_for(session, org_id, cp_id, version)
        result = await send_command(session, ACTOR, org_id, cp_id, "SendLocalList", payload)
        status = (result.response or {}).get("status")
        if payload["updateType"] == "Differential" and status in DIFFERENTIAL_REFUSED:
            # The charger's list is not what we think (reset, replaced): send all of it, as it is now.
            version = await local_list_version(session, org_id)
            entries = await compute_local_list(session, org_id, charge_point_id=cp_id)
            result = await send_command(
                session, ACTOR, org_id, cp_id, "SendLocalList", send_local_list_payload(entries, version)
            )
    except CommandFailed as exc:
        return exc.kind
    return str(result.error_code or (result.response or {}).get("status") or result.state.value)


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


async def catch_up_held(db: Database, attempted: dict[uuid.UUID, tuple[int, float]]) -> dict[str, str]:
    """Bring the chargers held by this process's gateway up to their organisation's current list: those
    that were offline or held by another process when it changed, and those whose sync was skipped
    here. `attempted` (charger -> version, monotonic time) is the caller's memory of what was tried,
    so a charger that refuses a version is not asked again every few seconds."""
    seen_since = utcnow() - SEEN_WITHIN
    async with db.session() as session:
        rows = (
            await session.execute(
                select(ChargePoint.organization_id, ChargePoint.id, LocalListVersion.version)
                .join(LocalListVersion, LocalListVersion.organization_id == ChargePoint.organization_id)
                .outerjoin(ChargerLocalList, ChargerLocalList.charge_point_id == ChargePoint.id)
                .where(
                    ChargePoint.commissioning_state == CommissioningState.active,
                    ChargePoint.last_seen_at >= seen_since,
                    or_(ChargerLocalList.version.is_(None), ChargerLocalList.version != LocalListVersion.version),
                )
            )
        ).all()
    now = time.monotonic()
    retry_after = RETRY_SAME_VERSION.total_seconds()
    stale: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for org_id, cp_id, version in rows:
        tried = attempted.get(cp_id)
        if not connected_here(cp_id) or (tried is not None and tried[0] == version and now - tried[1] < retry_after):
            continue
        attempted[cp_id] = (version, now)
        stale[org_id].append(cp_id)
    outcomes: dict[str, str] = {}
    for org_id, cp_ids in stale.items():
        outcomes.update(await sync_organization(db, org_id, only=cp_ids))
    if outcomes:
        log.info("local list catch-up: %s", outcomes)
    return outcomes
