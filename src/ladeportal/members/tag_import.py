"""Bulk import of RFID tags (CSV/XLSX: uid, label, member's phone or group, expiry), dry run first.

Rows are decided from bulk reads like the member import; a tag that exists in this organisation is
updated (owner, label, expiry) and one that another organisation holds is an error.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.base import utcnow
from ladeportal.db.engine import unit_of_work
from ladeportal.errors import Conflict, ValidationFailed
from ladeportal.limits import check_date
from ladeportal.members.import_plan import RowResult, RowStatus
from ladeportal.members.local_list import local_list_changed
from ladeportal.members.member_import import ImportReport
from ladeportal.members.models import IdTag, Membership, TagState, User, UserGroup
from ladeportal.members.phone import normalise_mobile
from ladeportal.members.rfid import normalise_uid
from ladeportal.members.tabular import TableRow, expire_loaded, load_table
from ladeportal.members.tags import clean_label
from ladeportal.orgs.models import Organization
from ladeportal.orgs.services import get_organization
from ladeportal.platform.audit import Actor, record

TAG_COLUMNS: dict[str, Sequence[str]] = {
    "uid": ("rfid", "rfid uid", "brikke", "brikke uid", "kort", "tag", "card"),
    "label": ("etikett", "merking", "beskrivelse", "description", "name", "navn"),
    "phone": ("mobilnummer", "mobil", "telefon", "medlem", "member", "member phone", "mobile", "mobile number"),
    "group": ("gruppe", "grupp", "user group"),
    "expiry": (
        "utløper",
        "utløpsdato",
        "gyldig til",
        "expires",
        "expires at",
        "expiry date",
        "valid until",
        "giltig till",
    ),
}


@dataclass
class _Lookups:
    members: dict[str, uuid.UUID]  # phone -> membership id
    groups: dict[str, uuid.UUID]  # folded name -> group id
    tags: dict[str, IdTag]


def parse_expiry(text: str, tz: ZoneInfo) -> datetime | None:
    """'2026-12-31' or '31.12.2026' means valid through that day in the organisation's time zone."""
    value = text.strip()
    if not value:
        return None
    match = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", value)
    try:
        if match:
            day = date(int(match[3]), int(match[2]), int(match[1]))
        elif re.fullmatch(r"\d{4}-\d{2}-\d{2}(T00:00:00)?", value):
            day = date.fromisoformat(value[:10])
        else:
            moment = datetime.fromisoformat(value)
            return check_date(moment if moment.tzinfo else moment.replace(tzinfo=tz), "expiry")
    except ValueError:
        raise ValidationFailed(
            f"{value!r} is not a date (use 2026-12-31 or 31.12.2026).",
            field="expiry",
            code="import.date_invalid",
            params={"value": value},
        ) from None
    check_date(day, "expiry")
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)


async def _lookups(session: AsyncSession, org: Organization, uids: list[str]) -> _Lookups:
    members = {
        phone: m_id
        for m_id, phone in await session.execute(
            select(Membership.id, User.phone)
            .join(User, User.id == Membership.user_id)
            .where(Membership.organization_id == org.id, Membership.removed_at.is_(None))
        )
        if phone
    }
    groups = {
        name.strip().casefold(): g_id
        for g_id, name in await session.execute(
            select(UserGroup.id, UserGroup.name).where(
                UserGroup.organization_id == org.id, UserGroup.deleted_at.is_(None)
            )
        )
    }
    tags: dict[str, IdTag] = {}
    for start in range(0, len(uids), 500):
        for tag in (await session.scalars(select(IdTag).where(IdTag.uid.in_(uids[start : start + 500])))).all():
            tags[tag.uid] = tag
    return _Lookups(members, groups, tags)


def _decide(
    row: TableRow, org: Organization, known: _Lookups, seen: dict[str, int]
) -> tuple[RowResult, dict[str, Any]]:
    if row.problem:
        raise ValidationFailed(row.problem, code=row.problem_code, params=row.problem_params)
    uid = normalise_uid(row.values.get("uid", ""))
    if uid in seen:
        raise ValidationFailed(
            f"Tag {uid} is also on line {seen[uid]}.",
            field="uid",
            code="import.tag_repeated",
            params={"uid": uid, "line": seen[uid]},
        )
    phone_text, group_text = row.values.get("phone", "").strip(), row.values.get("group", "").strip()
    if bool(phone_text) == bool(group_text):
        raise ValidationFailed(
            "Give either a member's mobile number or a group (for a visitor key).",
            field="phone",
            code="tag.owner_required",
        )
    membership_id = group_id = None
    if phone_text:
        phone = normalise_mobile(phone_text, default_region=org.country)
        membership_id = known.members.get(phone)
        if membership_id is None:
            raise ValidationFailed(
                f"{phone} is not a member; add the member first.",
                field="phone",
                code="import.not_a_member",
                params={"phone": phone},
            )
    else:
        group_id = known.groups.get(group_text.casefold())
        if group_id is None:
            raise ValidationFailed(
                f"No group named {group_text!r}.", field="group", code="tag.group_missing", params={"group": group_text}
            )
    values = {
        "membership_id": membership_id,
        "group_id": group_id,
        "label": clean_label(row.values.get("label")),
        "expires_at": parse_expiry(row.values.get("expiry", ""), ZoneInfo(org.time_zone)),
    }
    seen[uid] = row.line
    tag = known.tags.get(uid)
    if tag is None:
        return RowResult(row.line, RowStatus.added, uid), {"uid": uid, **values}
    if tag.organization_id != org.id:
        raise ValidationFailed(
            f"Tag {uid} is registered to another organisation.",
            field="uid",
            code="tag.registered_elsewhere",
            params={"uid": uid},
        )
    changes = [k for k, v in values.items() if getattr(tag, k) != v]
    status = RowStatus.updated if changes else RowStatus.unchanged
    return RowResult(row.line, status, uid, changes=changes), {"id": tag.id, **values} if changes else {}


async def _plan(
    session: AsyncSession, org: Organization, rows: list[TableRow]
) -> tuple[list[RowResult], list[dict[str, Any]]]:
    uids = []
    for row in rows:
        with contextlib.suppress(ValidationFailed):  # the row's error is reported by _decide
            uids.append(normalise_uid(row.values.get("uid", "")))
    known = await _lookups(session, org, sorted(set(uids)))
    seen: dict[str, int] = {}
    results, writes = [], []
    for row in rows:
        try:
            result, write = _decide(row, org, known, seen)
        except ValidationFailed as exc:
            result, write = (
                RowResult(
                    row.line,
                    RowStatus.error,
                    row.values.get("uid") or None,
                    exc.message,
                    code=exc.code,
                    params=exc.params,
                ),
                {},
            )
        results.append(result)
        if write:
            writes.append(write)
    return results, writes


async def dry_run_tag_import(session: AsyncSession, org_id: uuid.UUID, content: bytes, filename: str) -> ImportReport:
    org = await get_organization(session, org_id)
    table = await load_table(content, filename, TAG_COLUMNS, required=("uid",))
    results, _ = await _plan(session, org, table.rows)
    return ImportReport(results, table.ignored_columns)


async def import_tags(
    session: AsyncSession,
    actor: Actor,
    org_id: uuid.UUID,
    content: bytes,
    filename: str,
    *,
    skip_invalid_rows: bool = False,
) -> ImportReport:
    table = await load_table(content, filename, TAG_COLUMNS, required=("uid",))
    try:
        async with unit_of_work(session):
            org = await get_organization(session, org_id)
            results, writes = await _plan(session, org, table.rows)
            report = ImportReport(results, table.ignored_columns)
            if report.has_errors and not skip_invalid_rows:
                raise ValidationFailed(
                    f"{report.counts['error']} row(s) have errors; fix them, or import the valid rows only.",
                    field="file",
                    code="import.rows_have_errors",
                    params={"count": report.counts["error"]},
                )
            now = utcnow()
            new = [
                {
                    "id": uuid.uuid4(),
                    "organization_id": org.id,
                    "state": TagState.active,
                    "created_at": now,
                    "updated_at": now,
                    **w,
                }
                for w in writes
                if "uid" in w
            ]
            changed = [{**w, "updated_at": now} for w in writes if "id" in w]
            if new:
                await session.execute(insert(IdTag), new)
            if changed:
                await session.execute(update(IdTag), changed)
            if writes:
                await local_list_changed(session, org.id)
            record(
                session,
                actor,
                "tags.import",
                "organization",
                org.id,
                organization_id=org.id,
                new={"file": filename[:200], **report.counts},
            )
    except IntegrityError:
        raise Conflict(
            "Tags changed while the file was imported; run the import again.", code="import.tags_changed"
        ) from None
    expire_loaded(session, (IdTag,))
    report.committed = True
    return report
