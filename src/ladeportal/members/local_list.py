"""OCPP local authorization lists: what a charger should know to authorise tags while offline.

Every change that can alter a tag's status (tags, memberships, groups) calls `local_list_changed`
in its own transaction: the organisation's list version goes up and an outbox task asks the OCPP
side to send the full list. The version and the task commit together with the change, so a charger
is never told about a change that was rolled back, and never misses one that was committed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.billing.overdue_block import overdue_members
from ladeportal.chargers.models import ChargePoint, ChargerLocalList
from ladeportal.db.base import utcnow
from ladeportal.errors import NotFound
from ladeportal.jobs.outbox import enqueue
from ladeportal.members.access import AccessStatus, MemberFacts, tag_status
from ladeportal.members.models import (
    GroupChargePoint,
    GroupSite,
    IdTag,
    LocalListVersion,
    Membership,
    UserGroup,
)

SYNC_TASK = "ocpp.sync_local_list"


@dataclass(frozen=True)
class LocalListEntry:
    uid: str
    status: AccessStatus
    expiry: datetime | None


async def local_list_changed(session: AsyncSession, org_id: uuid.UUID) -> int:
    """Bump the organisation's list version and queue the sync; returns the new version."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    # An upsert, so two transactions creating the first version cannot both insert; on PostgreSQL
    # the row lock serialises concurrent bumps, so versions never repeat.
    stmt = (
        insert(LocalListVersion)
        .values(organization_id=org_id, version=1)
        .on_conflict_do_update(
            index_elements=[LocalListVersion.organization_id], set_={"version": LocalListVersion.version + 1}
        )
        .returning(LocalListVersion.version)
    )
    version = int((await session.execute(stmt)).scalar_one())
    await enqueue(
        session,
        SYNC_TASK,
        {"organization_id": str(org_id), "version": version},
        dedupe_key=f"{SYNC_TASK}:{org_id}:{version}",
    )
    return version


async def local_list_version(session: AsyncSession, org_id: uuid.UUID) -> int:
    """0 until the first change; OCPP uses the version to tell whether a charger is up to date."""
    version = await session.scalar(select(LocalListVersion.version).where(LocalListVersion.organization_id == org_id))
    return int(version or 0)


async def compute_local_list(
    session: AsyncSession,
    org_id: uuid.UUID,
    *,
    site_id: uuid.UUID | None = None,
    charge_point_id: uuid.UUID | None = None,
    at: datetime | None = None,
) -> list[LocalListEntry]:
    """Every tag of the organisation with the status decide_access would give it, sorted by UID.

    For a charger (or a site) the group's site and charger permissions count; without either the
    list is organisation-wide and only tag and member state count. Blocked and expired tags stay in
    the list so a charger that cached them as accepted learns otherwise.
    """
    at = at or utcnow()
    if charge_point_id is not None:
        site_id = await session.scalar(
            select(ChargePoint.site_id).where(ChargePoint.id == charge_point_id, ChargePoint.organization_id == org_id)
        )
        if site_id is None:
            raise NotFound("No such charger.", code="charger.not_found")
    groups = dict(
        (
            await session.execute(
                select(UserGroup.id, UserGroup.all_sites).where(
                    UserGroup.organization_id == org_id, UserGroup.deleted_at.is_(None)
                )
            )
        ).all()
    )
    default_id = await session.scalar(
        select(UserGroup.id).where(UserGroup.organization_id == org_id, UserGroup.is_default.is_(True))
    )
    allowed = await _groups_allowed_here(session, org_id, site_id, charge_point_id, groups)
    rows = await session.execute(
        select(
            IdTag.uid,
            IdTag.state,
            IdTag.expires_at,
            IdTag.group_id,
            IdTag.membership_id,
            Membership.state,
            Membership.removed_at,
            Membership.group_id,
        )
        .outerjoin(Membership, Membership.id == IdTag.membership_id)
        .where(IdTag.organization_id == org_id)
        .order_by(IdTag.uid)
    )
    overdue = await overdue_members(session, org_id, at)  # refused by decide_access after the tag rules
    entries = []
    for uid, tag_state, expires_at, tag_group, membership_id, m_state, m_removed, m_group in rows:
        member = MemberFacts(m_state, m_removed is not None) if membership_id is not None else None
        group_id = (m_group if membership_id is not None else tag_group) or default_id
        if group_id not in groups:
            group_id = default_id
        status, _ = tag_status(tag_state, expires_at, member, group_id in allowed, at)
        if status == AccessStatus.accepted and membership_id in overdue:
            status = AccessStatus.blocked
        entries.append(LocalListEntry(uid, status, expires_at))
    return entries


async def _groups_allowed_here(
    session: AsyncSession,
    org_id: uuid.UUID,
    site_id: uuid.UUID | None,
    charge_point_id: uuid.UUID | None,
    groups: dict[uuid.UUID, bool],
) -> set[uuid.UUID]:
    if site_id is None:
        return set(groups)
    allowed = {group_id for group_id, all_sites in groups.items() if all_sites}
    allowed |= set((await session.scalars(select(GroupSite.group_id).where(GroupSite.site_id == site_id))).all())
    if charge_point_id is not None:
        allowed |= set(
            (
                await session.scalars(
                    select(GroupChargePoint.group_id).where(GroupChargePoint.charge_point_id == charge_point_id)
                )
            ).all()
        )
    return allowed & set(groups)


def send_local_list_payload(entries: list[LocalListEntry], version: int) -> dict[str, Any]:
    """OCPP 1.6 SendLocalList, updateType Full; version 0 means "no list", so the first is 1."""
    items = []
    for entry in entries:
        info: dict[str, Any] = {"status": entry.status.value}
        if entry.expiry is not None:
            info["expiryDate"] = entry.expiry.isoformat().replace("+00:00", "Z")
        items.append({"idTag": entry.uid, "idTagInfo": info})
    return {"listVersion": max(1, version), "updateType": "Full", "localAuthorizationList": items}


# The charger's answers to SendLocalList that mean "send me the whole list instead".
DIFFERENTIAL_REFUSED = ("VersionMismatch", "Failed", "NotSupported")


async def local_list_update_for(
    session: AsyncSession, org_id: uuid.UUID, charge_point_id: uuid.UUID, version: int
) -> dict[str, Any]:
    """The SendLocalList that brings one charger to `version`: a Differential update with only the
    changed entries when we know what the charger holds, else (or when the change is most of the
    list) a Full one."""
    entries = await compute_local_list(session, org_id, charge_point_id=charge_point_id)
    full = send_local_list_payload(entries, version)
    held = await session.get(ChargerLocalList, charge_point_id)
    if held is None or held.version >= full["listVersion"]:
        return full
    wanted = {e["idTag"]: e["idTagInfo"] for e in full["localAuthorizationList"]}
    changes: list[dict[str, Any]] = [
        {"idTag": uid, "idTagInfo": info} for uid, info in wanted.items() if held.entries.get(uid) != info
    ]
    changes += [{"idTag": uid} for uid in held.entries if uid not in wanted]
    if len(changes) >= len(wanted):
        return full
    changes.sort(key=lambda e: e["idTag"])
    return {"listVersion": full["listVersion"], "updateType": "Differential", "localAuthorizationList": changes}
