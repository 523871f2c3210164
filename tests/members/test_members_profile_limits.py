"""The membership's own fields have limits the domain enforces for every entry point: an over-long
value is a field error, never a database error (PostgreSQL refuses what its varchar cannot hold)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.errors import ValidationFailed
from ladeportal.members.import_plan import RowStatus
from ladeportal.members.member_import import dry_run_member_import, import_members
from ladeportal.members.models import Membership, User
from ladeportal.members.services import MemberInput, add_member
from tests.factories import ACTOR, make_org

TOO_LONG = {"name": "n" * 201, "email": "a@" + "b" * 253, "notes": "x" * 1001, "parking_spot": "p" * 41}


@pytest.mark.parametrize("field", sorted(TOO_LONG))
async def test_adding_with_an_over_long_field_names_the_field(session: AsyncSession, field: str) -> None:
    org_id = (await make_org(session)).id
    with pytest.raises(ValidationFailed) as refused:
        await add_member(session, ACTOR, org_id, MemberInput(phone="91234567", **{field: TOO_LONG[field]}))
    assert refused.value.field == field
    assert await session.scalar(select(func.count()).select_from(User)) == 0


async def test_values_at_the_limit_are_stored_whole(session: AsyncSession) -> None:
    org_id = (await make_org(session)).id
    at_limit = {"name": "n" * 200, "email": "a@" + "b" * 252, "notes": "x" * 1000, "parking_spot": "p" * 40}
    m = await add_member(session, ACTOR, org_id, MemberInput(phone="91234567", **at_limit))
    stored = await session.get_one(Membership, m.id)
    assert {k: getattr(stored, k) for k in at_limit} == at_limit


@pytest.mark.parametrize("field", sorted(TOO_LONG))
async def test_an_over_long_import_cell_is_a_row_error(session: AsyncSession, field: str) -> None:
    org_id = (await make_org(session)).id
    header = "Mobilnummer;Navn;E-post;Notat;Parkeringsplass"
    cells = {"name": "", "email": "", "notes": "", "parking_spot": "", field: TOO_LONG[field]}
    content = f"{header}\n91234567;{cells['name']};{cells['email']};{cells['notes']};{cells['parking_spot']}\n"
    dry = await dry_run_member_import(session, org_id, content.encode(), "m.csv")
    assert [r.status for r in dry.rows] == [RowStatus.error] and "characters" in dry.rows[0].message
    report = await import_members(session, ACTOR, org_id, content.encode(), "m.csv", skip_invalid_rows=True)
    assert report.counts["error"] == 1
    assert await session.scalar(select(func.count()).select_from(Membership)) == 0
