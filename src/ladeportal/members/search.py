"""Finding members: free text (name, number, tag), group, state, paged.

Names, sorting and "has logged in" come from the membership, so a search shows only what this
organisation knows: never another organisation's name for the person or their global last login.

Two queries per page (a count and the page) plus one for the page's tags, whatever the size of the
organisation: filters are EXISTS subqueries on indexed columns instead of joins that multiply rows.
"""

from __future__ import annotations

import enum
import re
import uuid
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, exists, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from ladeportal.errors import ValidationFailed
from ladeportal.members.groups import default_group
from ladeportal.members.models import IdTag, Membership, MembershipState, User

MAX_PAGE_SIZE = 500


class MemberFilter(enum.StrEnum):
    invited = "invited"
    active = "active"
    blocked = "blocked"
    logged_in = "logged_in"
    never_logged_in = "never_logged_in"
    # Members this organisation has no name for (typically added only to carry an RFID tag).
    without_name = "without_name"


@dataclass
class MemberQuery:
    text: str | None = None
    group_id: uuid.UUID | None = None
    state: MemberFilter | str | None = None
    tag: str | None = None
    page: int = 1
    page_size: int = 50


@dataclass
class MemberRow:
    membership: Membership
    tags: list[IdTag] = field(default_factory=list)


@dataclass
class MemberPage:
    items: list[MemberRow]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


async def search_members(session: AsyncSession, org_id: uuid.UUID, query: MemberQuery) -> MemberPage:
    if not 1 <= query.page_size <= MAX_PAGE_SIZE:
        raise ValidationFailed(
            f"The page size is between 1 and {MAX_PAGE_SIZE}.",
            field="page_size",
            code="search.page_size_range",
            params={"limit": MAX_PAGE_SIZE},
        )
    if query.page < 1:
        raise ValidationFailed("Pages are numbered from 1.", field="page", code="search.page_range")
    conditions = [Membership.organization_id == org_id, Membership.removed_at.is_(None)]
    conditions += await _filters(session, org_id, query)
    base = select(Membership).join(User, User.id == Membership.user_id).where(*conditions)
    total = int(await session.scalar(select(func.count()).select_from(base.subquery())) or 0)
    page = (
        await session.scalars(
            base.options(selectinload(Membership.user))
            # Named people first, alphabetically; the id keeps pages stable when names repeat.
            .order_by(Membership.name.is_(None), Membership.name, User.phone, Membership.id)
            .limit(query.page_size)
            .offset((query.page - 1) * query.page_size)
        )
    ).all()
    tags: dict[uuid.UUID, list[IdTag]] = {m.id: [] for m in page}
    if tags:
        for tag in (
            await session.scalars(select(IdTag).where(IdTag.membership_id.in_(list(tags))).order_by(IdTag.uid))
        ).all():
            tags[tag.membership_id].append(tag)  # type: ignore[index]
    return MemberPage([MemberRow(m, tags[m.id]) for m in page], total, query.page, query.page_size)


async def _filters(session: AsyncSession, org_id: uuid.UUID, query: MemberQuery) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    text = (query.text or "").strip()
    if text:
        conditions.append(_text_matches(session, text))
    if query.group_id is not None:
        if query.group_id == (await default_group(session, org_id)).id:
            conditions.append(or_(Membership.group_id.is_(None), Membership.group_id == query.group_id))
        else:
            conditions.append(Membership.group_id == query.group_id)
    if query.state:
        conditions.append(_state_condition(query.state))
    if query.tag:
        uid = re.sub(r"[\s:\-]", "", query.tag).upper()
        conditions.append(_has_tag(IdTag.uid.contains(uid, autoescape=True)))
    return conditions


def _has_tag(*where: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists().where(IdTag.membership_id == Membership.id, *where)


def _state_condition(value: MemberFilter | str) -> ColumnElement[bool]:
    try:
        state = MemberFilter(value)
    except ValueError:
        raise ValidationFailed(
            f"Unknown state {value!r}; use one of {', '.join(f.value for f in MemberFilter)}.",
            field="state",
            code="search.state_unknown",
            params={"state": value, "states": ", ".join(f.value for f in MemberFilter)},
        ) from None
    if state in (MemberFilter.invited, MemberFilter.active, MemberFilter.blocked):
        return Membership.state == MembershipState(state.value)
    if state == MemberFilter.logged_in:
        return Membership.activated_at.is_not(None)
    if state == MemberFilter.never_logged_in:
        return Membership.activated_at.is_(None)
    return Membership.name.is_(None)


def _text_matches(session: AsyncSession, text: str) -> ColumnElement[bool]:
    options = [_name_matches(session, text)]
    digits = re.sub(r"[\s\-()./]", "", text).lstrip("+")
    if digits.isdigit() and len(digits) >= 3:
        # "0047 912..." and "912 34 567" both find +4791234567.
        digits = digits[2:] if digits.startswith("00") else digits
        options.append(User.phone.contains(digits, autoescape=True))
    uid = re.sub(r"[\s:\-]", "", text).upper()
    if len(uid) >= 4 and re.fullmatch(r"[0-9A-F]+", uid):
        options.append(_has_tag(IdTag.uid.contains(uid, autoescape=True)))
    return or_(false(), *options)


def _name_matches(session: AsyncSession, text: str) -> ColumnElement[bool]:
    if session.get_bind().dialect.name == "postgresql":
        return Membership.name.ilike(f"%{_escape(text)}%", escape="\\")
    # SQLite folds case for ASCII only, so "øyvind" would miss "Øyvind": also try the usual
    # capitalisations of the search text.
    variants = {text, text.lower(), text.upper(), text.capitalize(), text.title()}
    return or_(*(Membership.name.like(f"%{_escape(v)}%", escape="\\") for v in sorted(variants)))


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
