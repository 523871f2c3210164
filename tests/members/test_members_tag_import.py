"""Bulk import of RFID tags: member cards and group visitor keys, with expiry."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.errors import ValidationFailed
from ladeportal.members.groups import create_group
from ladeportal.members.import_plan import RowStatus
from ladeportal.members.models import IdTag
from ladeportal.members.tag_import import dry_run_tag_import, import_tags
from tests.factories import ACTOR, make_member, make_org, make_tag


async def test_tags_for_members_and_groups_with_expiry(session: AsyncSession) -> None:
    org = await make_org(session)
    member_id = (await make_member(session, org, "+4791234567")).id
    group_id = (await create_group(session, ACTOR, org.id, "Gjester")).id
    content = (
        "UID;Etikett;Mobilnummer;Gruppe;Utløper\n"
        "04:a1:b2:c3;Kari bil;912 34 567;;\n"
        "0A0B0C0D;Gjest 1;;gjester;31.12.2030\n"
    ).encode("cp1252")
    report = await import_tags(session, ACTOR, org.id, content, "tags.csv")
    assert report.counts["added"] == 2
    tags = {t.uid: t for t in (await session.scalars(select(IdTag).where(IdTag.organization_id == org.id))).all()}
    assert tags["04A1B2C3"].membership_id == member_id and tags["04A1B2C3"].label == "Kari bil"
    assert tags["0A0B0C0D"].group_id == group_id
    # Valid through 31 December in Oslo: expires at midnight local time (23:00 UTC in winter).
    assert tags["0A0B0C0D"].expires_at == datetime(2030, 12, 31, 23, 0, tzinfo=UTC)
    again = await import_tags(session, ACTOR, org.id, content, "tags.csv")
    assert again.counts["unchanged"] == 2
    changed = content.replace(b"Gjest 1", b"Gjest 2")
    report = await import_tags(session, ACTOR, org.id, changed, "tags.csv")
    assert [(r.status, r.changes) for r in report.rows][1] == (RowStatus.updated, ["label"])


async def test_bad_tag_rows(session: AsyncSession) -> None:
    a, b = await make_org(session), await make_org(session)
    a_id = a.id
    await make_member(session, a, "+4791234567")
    await make_tag(session, b, await make_member(session, b), uid="0B0B0B0B")
    content = "\n".join(
        [
            "uid,label,member phone,group,expires",
            "XYZ,,91234567,,",
            "0B0B0B0B,,91234567,,",
            "0C0C0C0C,,,,",
            "0D0D0D0D,,91234567,Standard,",
            "0E0E0E0E,,92345678,,",
            "0F0F0F0F,,,Nope,",
            "1A1A1A1A,,91234567,,not a date",
            "2A2A2A2A,,91234567,,",
            "2a:2a:2a:2a,,91234567,,",
        ]
    ).encode()
    report = await dry_run_tag_import(session, a_id, content, "tags.csv")
    assert [r.status for r in report.rows] == [RowStatus.error] * 7 + [RowStatus.added, RowStatus.error]
    messages = [r.message for r in report.rows]
    assert "not an RFID UID" in messages[0] and "another organisation" in messages[1]
    assert "either" in messages[2] and "either" in messages[3] and "not a member" in messages[4]
    assert "Nope" in messages[5] and "not a date" in messages[6] and "line 9" in messages[8]
    with pytest.raises(ValidationFailed):
        await import_tags(session, ACTOR, a_id, content, "tags.csv")
    assert (await session.scalars(select(IdTag).where(IdTag.organization_id == a_id))).all() == []
