"""Deciding what a member import does to each row, from a handful of bulk reads.

Everything the rows refer to (people by number, the organisation's memberships and groups, tags by
UID) is loaded up front in chunks; the rows are then decided in memory. The plan holds the rows to
insert and the updates by primary key, ready for executemany.

Names, e-mails, notes and parking spots go to this organisation's memberships. A person who already
has an account is never written (another organisation may know them by another name); a number
nobody has gets a new person row with the number and language only.
"""

from __future__ import annotations

import enum
import re
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.base import utcnow
from ladeportal.errors import ValidationFailed
from ladeportal.members.invites import BulkInvite
from ladeportal.members.models import IdTag, Membership, MembershipState, Role, User, UserGroup
from ladeportal.members.phone import normalise_mobile
from ladeportal.members.profile import MemberProfile, clean_profile
from ladeportal.members.rfid import normalise_uid
from ladeportal.members.tabular import TableRow
from ladeportal.orgs.models import Organization

CHUNK = 500
PROGRESS_EVERY = 500


class RowStatus(enum.StrEnum):
    added = "added"
    updated = "updated"
    unchanged = "unchanged"
    error = "error"


@dataclass
class RowResult:
    line: int
    status: RowStatus
    phone: str | None = None
    message: str = ""
    changes: list[str] = field(default_factory=list)
    # The error's code and values, when it has them, so that pages show it in the reader's language.
    code: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class MemberPlan:
    results: list[RowResult] = field(default_factory=list)
    new_users: list[dict[str, Any]] = field(default_factory=list)
    new_memberships: list[dict[str, Any]] = field(default_factory=list)
    membership_updates: list[dict[str, Any]] = field(default_factory=list)
    new_tags: list[dict[str, Any]] = field(default_factory=list)
    # (membership id, phone, language, invite count after this invitation)
    invites: list[BulkInvite] = field(default_factory=list)
    tags_or_groups_changed: bool = False


@dataclass
class _Known:
    users: dict[str, User]
    memberships: dict[uuid.UUID, Membership]  # by user id
    groups: dict[str, uuid.UUID | None]  # folded name -> stored group id (None = default)
    tags: dict[str, tuple[uuid.UUID, uuid.UUID | None]]  # uid -> (organisation, membership)


def _chunks(values: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


async def _load(session: AsyncSession, org: Organization, phones: list[str], uids: list[str]) -> _Known:
    users: dict[str, User] = {}
    for chunk in _chunks(phones):
        for user in (await session.scalars(select(User).where(User.phone.in_(chunk)))).all():
            users[user.phone or ""] = user
    memberships: dict[uuid.UUID, Membership] = {}
    user_ids = [u.id for u in users.values()]
    for chunk in _chunks(user_ids):
        for m in (
            await session.scalars(
                select(Membership).where(Membership.organization_id == org.id, Membership.user_id.in_(chunk))
            )
        ).all():
            memberships[m.user_id] = m
    groups: dict[str, uuid.UUID | None] = {}
    for group in (
        await session.scalars(
            select(UserGroup).where(UserGroup.organization_id == org.id, UserGroup.deleted_at.is_(None))
        )
    ).all():
        groups[group.name.strip().casefold()] = None if group.is_default else group.id
    tags: dict[str, tuple[uuid.UUID, uuid.UUID | None]] = {}
    for chunk in _chunks(uids):
        rows = await session.execute(
            select(IdTag.uid, IdTag.organization_id, IdTag.membership_id).where(IdTag.uid.in_(chunk))
        )
        for uid, org_id, membership_id in rows:
            tags[uid] = (org_id, membership_id)
    return _Known(users, memberships, groups, tags)


@dataclass
class _Row:
    line: int
    phone: str
    profile: MemberProfile
    group: str | None
    uids: list[str]


# The membership fields a row sets; an empty cell leaves the stored value alone.
PROFILE_FIELDS = ("name", "email", "notes", "parking_spot")


def _parse(row: TableRow, region: str) -> _Row:
    if row.problem:
        raise ValidationFailed(row.problem, code=row.problem_code, params=row.problem_params)
    v = row.values
    phone = normalise_mobile(v.get("phone", ""), default_region=region)
    profile = clean_profile(v.get("name"), v.get("email"), v.get("notes"), v.get("parking_spot"))
    uids = [normalise_uid(part) for part in re.split(r"[,;|]", v.get("rfid", "")) if part.strip()]
    return _Row(row.line, phone, profile, v.get("group", "").strip() or None, uids)


async def plan_members(
    session: AsyncSession,
    org: Organization,
    rows: list[TableRow],
    progress: Callable[[int], Awaitable[None]],
    *,
    send_invites: bool = True,
) -> MemberPlan:
    plan = MemberPlan()
    parsed: list[_Row | RowResult] = []
    for row in rows:
        try:
            parsed.append(_parse(row, org.country))
        except ValidationFailed as exc:
            parsed.append(_failed(row.line, row.values.get("phone") or None, exc))
    good = [p for p in parsed if isinstance(p, _Row)]
    known = await _load(session, org, sorted({p.phone for p in good}), sorted({u for p in good for u in p.uids}))
    decider = _Decider(org, known, plan, send_invites)
    for index, item in enumerate(parsed, start=1):
        plan.results.append(item if isinstance(item, RowResult) else decider.decide(item))
        if index % PROGRESS_EVERY == 0 or index == len(parsed):
            await progress(index)
    return plan


def _failed(line: int, phone: str | None, exc: ValidationFailed) -> RowResult:
    return RowResult(line, RowStatus.error, phone, exc.message, code=exc.code, params=exc.params)


class _Decider:
    def __init__(self, org: Organization, known: _Known, plan: MemberPlan, send_invites: bool) -> None:
        self.org, self.known, self.plan, self.send_invites = org, known, plan, send_invites
        self.seen_phones: dict[str, int] = {}
        self.seen_uids: dict[str, int] = {}
        self.now: datetime = utcnow()
        self.language = "sv" if org.country == "SE" else "nb"

    def decide(self, row: _Row) -> RowResult:
        try:
            return self._decide(row)
        except ValidationFailed as exc:
            return _failed(row.line, row.phone, exc)

    def _check(self, row: _Row) -> tuple[bool, uuid.UUID | None]:
        if row.phone in self.seen_phones:
            raise ValidationFailed(
                f"The same number as line {self.seen_phones[row.phone]}.",
                code="import.same_number",
                params={"line": self.seen_phones[row.phone]},
            )
        group_id: uuid.UUID | None = None
        has_group = row.group is not None
        if row.group is not None:
            key = row.group.casefold()
            if key not in self.known.groups:
                raise ValidationFailed(
                    f"No group named {row.group!r}; create it first.",
                    field="group",
                    code="import.group_missing",
                    params={"group": row.group},
                )
            group_id = self.known.groups[key]
        for uid in row.uids:
            if uid in self.seen_uids:
                raise ValidationFailed(
                    f"Tag {uid} is also on line {self.seen_uids[uid]}.",
                    field="rfid",
                    code="import.tag_repeated",
                    params={"uid": uid, "line": self.seen_uids[uid]},
                )
        return has_group, group_id

    def _decide(self, row: _Row) -> RowResult:
        has_group, group_id = self._check(row)
        user = self.known.users.get(row.phone)
        membership = self.known.memberships.get(user.id) if user else None
        member_id = membership.id if membership is not None else None
        new_tags = self._new_tags(row, member_id)
        self.seen_phones[row.phone] = row.line
        for uid in row.uids:
            self.seen_uids[uid] = row.line
        if membership is not None and membership.removed_at is None:
            changes = self._update(row, membership, has_group, group_id)
            changes += [f"tag {uid}" for uid in new_tags]
            self._add_tags(new_tags, membership.id)
            return RowResult(
                row.line, RowStatus.updated if changes else RowStatus.unchanged, row.phone, changes=changes
            )
        member_id = self._add(row, user, membership, group_id)
        self._add_tags(new_tags, member_id)
        return RowResult(row.line, RowStatus.added, row.phone, changes=[f"tag {uid}" for uid in new_tags])

    def _new_tags(self, row: _Row, member_id: uuid.UUID | None) -> list[str]:
        new = []
        for uid in row.uids:
            owner = self.known.tags.get(uid)
            if owner is None:
                new.append(uid)
            elif owner[0] != self.org.id:
                raise ValidationFailed(
                    f"Tag {uid} is registered to another organisation.",
                    field="rfid",
                    code="tag.registered_elsewhere",
                    params={"uid": uid},
                )
            elif owner[1] is None or owner[1] != member_id:
                raise ValidationFailed(
                    f"Tag {uid} already belongs to someone else here.",
                    field="rfid",
                    code="import.tag_taken",
                    params={"uid": uid},
                )
        return new

    def _add_tags(self, uids: list[str], member_id: uuid.UUID) -> None:
        for uid in uids:
            self.plan.new_tags.append(
                {"uid": uid, "membership_id": member_id, "group_id": None, "label": None, "expires_at": None}
            )
        self.plan.tags_or_groups_changed |= bool(uids)

    def _update(self, row: _Row, m: Membership, has_group: bool, group_id: uuid.UUID | None) -> list[str]:
        member_values: dict[str, Any] = {}
        for key in PROFILE_FIELDS:
            value = getattr(row.profile, key)
            if value and value != getattr(m, key):
                member_values[key] = value
        if has_group and group_id != m.group_id:
            member_values["group_id"] = group_id
            self.plan.tags_or_groups_changed = True
        if member_values:
            self.plan.membership_updates.append({"id": m.id, "updated_at": self.now, **member_values})
        return [("group" if k == "group_id" else k) for k in member_values]

    def _add(self, row: _Row, user: User | None, old: Membership | None, group_id: uuid.UUID | None) -> uuid.UUID:
        if user is None:
            user_id = uuid.uuid4()
            self.plan.new_users.append(
                {
                    "id": user_id,
                    "phone": row.phone,
                    "language": self.language,
                    "created_at": self.now,
                    "updated_at": self.now,
                }
            )
        else:
            user_id = user.id
        p = row.profile
        values: dict[str, Any] = {
            "role": Role.member,
            "state": MembershipState.invited,
            "group_id": group_id,
            "name": p.name,
            "email": p.email,
            "notes": p.notes,
            "parking_spot": p.parking_spot,
            "activated_at": None,
            "removed_at": None,
            "updated_at": self.now,
        }
        count = (old.invite_count or 0) if old is not None else 0
        if self.send_invites:
            count += 1
            values.update(
                invited_at=(old.invited_at if old else None) or self.now, invite_sent_at=self.now, invite_count=count
            )
            language = user.language if user is not None else self.language
        member_id = old.id if old is not None else uuid.uuid4()
        if self.send_invites:
            self.plan.invites.append(BulkInvite(member_id, row.phone, language, count, p.email))
        if old is not None:
            # A removed member comes back: the old membership is reused (their old tags stay blocked).
            self.plan.membership_updates.append({"id": old.id, **values})
        else:
            self.plan.new_memberships.append(
                {
                    "invite_count": 0,
                    **values,
                    "id": member_id,
                    "organization_id": self.org.id,
                    "user_id": user_id,
                    "created_at": self.now,
                }
            )
        return member_id
