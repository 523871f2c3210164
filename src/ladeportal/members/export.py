"""The member list as CSV or XLSX, in the columns the import reads back (a round trip changes nothing).

Every column is this organisation's own: the membership's name, e-mail, notes and parking spot, and
when the member first logged in while belonging here (not the person's last login anywhere)."""

from __future__ import annotations

import uuid
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.errors import ValidationFailed
from ladeportal.members.models import IdTag, Membership, User, UserGroup
from ladeportal.members.tabular import write_csv, write_xlsx

HEADERS = {
    "nb": (
        "Mobilnummer",
        "Navn",
        "E-post",
        "Gruppe",
        "RFID",
        "Parkeringsplass",
        "Notat",
        "Status",
        "Første innlogging",
    ),
    "en": ("Mobile number", "Name", "E-mail", "Group", "RFID UID", "Parking spot", "Notes", "State", "First login"),
    "sv": (
        "Mobilnummer",
        "Namn",
        "E-post",
        "Grupp",
        "RFID",
        "Parkeringsplats",
        "Anteckningar",
        "Status",
        "Första inloggning",
    ),
}
FORMATS = ("csv", "xlsx")
# Values in the reader's language too: a board member's spreadsheet should not say "invited".
STATES = {
    "nb": {"invited": "Invitert", "active": "Aktiv", "blocked": "Sperret"},
    "en": {"invited": "Invited", "active": "Active", "blocked": "Blocked"},
    "sv": {"invited": "Inbjuden", "active": "Aktiv", "blocked": "Spärrad"},
}
SHEET_TITLES = {"nb": "Medlemmer", "en": "Members", "sv": "Medlemmar"}


async def member_rows(session: AsyncSession, org_id: uuid.UUID, language: str = "nb") -> list[list[object]]:
    states = STATES.get(language, STATES["nb"])
    groups = {
        g.id: g for g in (await session.scalars(select(UserGroup).where(UserGroup.organization_id == org_id))).all()
    }
    default = next((g.name for g in groups.values() if g.is_default), "")
    tags: dict[uuid.UUID, list[str]] = defaultdict(list)
    for membership_id, uid in await session.execute(
        select(IdTag.membership_id, IdTag.uid)
        .where(IdTag.organization_id == org_id, IdTag.membership_id.is_not(None))
        .order_by(IdTag.uid)
    ):
        if membership_id is not None:
            tags[membership_id].append(uid)
    rows: list[list[object]] = []
    for membership, user in await session.execute(
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.organization_id == org_id, Membership.removed_at.is_(None))
        .order_by(Membership.name.is_(None), Membership.name, User.phone)
    ):
        group = groups.get(membership.group_id) if membership.group_id else None
        rows.append(
            [
                user.phone,
                membership.name or "",
                membership.email or "",
                group.name if group is not None and group.deleted_at is None else default,
                ", ".join(tags.get(membership.id, [])),
                membership.parking_spot or "",
                membership.notes or "",
                states[membership.state.value],
                membership.activated_at.isoformat(timespec="minutes") if membership.activated_at else "",
            ]
        )
    return rows


async def export_members(session: AsyncSession, org_id: uuid.UUID, fmt: str = "xlsx", language: str = "nb") -> bytes:
    if fmt not in FORMATS:
        raise ValidationFailed(
            f"Export as {' or '.join(FORMATS)}.",
            field="format",
            code="export.format_unknown",
            params={"formats": " or ".join(FORMATS)},
        )
    headers = HEADERS.get(language, HEADERS["nb"])
    rows = await member_rows(session, org_id, language)
    if fmt == "csv":
        return write_csv(headers, rows)
    return write_xlsx(headers, rows, title=SHEET_TITLES.get(language, SHEET_TITLES["nb"]))
