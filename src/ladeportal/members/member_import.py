"""Bulk import of members from CSV or XLSX: a dry run that reports every row, then the import.

The import plans again inside its own transaction (what the dry run saw may have changed) and
writes everything in that one transaction with bulk statements, so 10,000 rows take seconds and a
failure leaves nothing half done. An empty cell leaves the stored value alone, which makes a second
import of the same file change nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.base import utcnow
from ladeportal.db.engine import unit_of_work
from ladeportal.errors import Conflict, ValidationFailed
from ladeportal.members.import_plan import MemberPlan, RowResult, RowStatus, plan_members
from ladeportal.members.invites import Channel, check_channel, queue_invites_many
from ladeportal.members.local_list import local_list_changed
from ladeportal.members.models import IdTag, Membership, TagState, User
from ladeportal.members.tabular import expire_loaded, load_table
from ladeportal.orgs.models import Organization
from ladeportal.orgs.services import get_organization
from ladeportal.platform.audit import Actor, record

MEMBER_COLUMNS: dict[str, Sequence[str]] = {
    "phone": (
        "mobilnummer",
        "mobil",
        "mobilnr",
        "mobiltelefon",
        "telefon",
        "telefonnummer",
        "tlf",
        "tlf nr",
        "mobile",
        "mobile number",
        "mobile phone",
        "phone number",
        "cell phone",
        "mobiltelefonnummer",
    ),
    "name": ("navn", "fullt navn", "namn", "full name"),
    "email": ("e post", "epost", "e postadresse", "e mail", "email address", "mail"),
    "group": ("gruppe", "brukergruppe", "grupp", "user group"),
    "rfid": ("rfid uid", "rfid brikke", "rfid tag", "brikke", "brikke uid", "uid", "tag", "kort", "card"),
    "parking_spot": ("parkeringsplass", "p plass", "plass", "parking", "parking space", "parkeringsplats"),
    "notes": ("notat", "notater", "merknad", "kommentar", "note", "comment", "anteckning", "anteckningar"),
}
CHUNK = 1000


@dataclass(frozen=True)
class ImportProgress:
    phase: str  # "checking" or "saving"
    done: int
    total: int


ProgressCallback = Callable[[ImportProgress], Awaitable[None] | None]


@dataclass
class ImportReport:
    rows: list[RowResult]
    ignored_columns: list[str]
    committed: bool = False

    @property
    def counts(self) -> dict[str, int]:
        counts = {status.value: 0 for status in RowStatus}
        for row in self.rows:
            counts[row.status.value] += 1
        return counts

    @property
    def has_errors(self) -> bool:
        return any(row.status == RowStatus.error for row in self.rows)


async def _report(progress: ProgressCallback | None, phase: str, done: int, total: int) -> None:
    if progress is not None:
        result = progress(ImportProgress(phase, done, total))
        if result is not None:
            await result


async def dry_run_member_import(
    session: AsyncSession,
    org_id: uuid.UUID,
    content: bytes,
    filename: str,
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """What importing the file would do, row by row; changes nothing."""
    org = await get_organization(session, org_id)
    table = await load_table(content, filename, MEMBER_COLUMNS, required=("phone",))
    total = len(table.rows)
    plan = await plan_members(
        session, org, table.rows, lambda done: _report(progress, "checking", done, total), send_invites=False
    )
    return ImportReport(plan.results, table.ignored_columns)


async def import_members(
    session: AsyncSession,
    actor: Actor,
    org_id: uuid.UUID,
    content: bytes,
    filename: str,
    *,
    skip_invalid_rows: bool = False,
    send_invites: bool = True,
    invite_channel: Channel | str = "sms",
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """Import the file in one transaction. With errors in the file nothing is imported unless
    `skip_invalid_rows` says to import the valid rows only. New members are invited by
    `invite_channel` ("sms", "email" or "both") by the rule of every invitation (members.invites)."""
    channel = check_channel(invite_channel)
    table = await load_table(content, filename, MEMBER_COLUMNS, required=("phone",))
    try:
        async with unit_of_work(session):
            org = await get_organization(session, org_id)
            total = len(table.rows)
            plan = await plan_members(
                session,
                org,
                table.rows,
                lambda done: _report(progress, "checking", done, total),
                send_invites=send_invites,
            )
            report = ImportReport(plan.results, table.ignored_columns)
            if report.has_errors and not skip_invalid_rows:
                raise ValidationFailed(
                    f"{report.counts['error']} row(s) have errors; fix them, or import the valid rows only.",
                    field="file",
                    code="import.rows_have_errors",
                    params={"count": report.counts["error"]},
                )
            await _apply(session, org, plan, channel, lambda done: _report(progress, "saving", done, total))
            record(
                session,
                actor,
                "members.import",
                "organization",
                org.id,
                organization_id=org.id,
                new={"file": filename[:200], **report.counts},
            )
    except IntegrityError:
        raise Conflict(
            "Members changed while the file was imported; run the import again.", code="import.members_changed"
        ) from None
    expire_loaded(session, (User, Membership, IdTag))
    report.committed = True
    return report


async def _apply(
    session: AsyncSession,
    org: Organization,
    plan: MemberPlan,
    invite_channel: Channel,
    progress: Callable[[int], Awaitable[None]],
) -> None:
    now = utcnow()
    for start in range(0, len(plan.new_users), CHUNK):
        await session.execute(insert(User), plan.new_users[start : start + CHUNK])
    for start in range(0, len(plan.new_memberships), CHUNK):
        await session.execute(insert(Membership), plan.new_memberships[start : start + CHUNK])
        await progress(start + CHUNK)
    # Bulk UPDATE by primary key: one executemany instead of a round trip per row. Existing people
    # (users rows) are never updated by an organisation's import.
    if plan.membership_updates:
        await session.execute(update(Membership), plan.membership_updates)
    if plan.new_tags:
        await session.execute(
            insert(IdTag),
            [
                {
                    "id": uuid.uuid4(),
                    "organization_id": org.id,
                    "state": TagState.active,
                    "created_at": now,
                    "updated_at": now,
                    **tag,
                }
                for tag in plan.new_tags
            ],
        )
    if plan.tags_or_groups_changed:
        await local_list_changed(session, org.id)
    if plan.invites:
        # The invitation fields are already in the membership rows written above.
        await queue_invites_many(session, org, plan.invites, invite_channel)
