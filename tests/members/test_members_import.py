"""Bulk import and export of members: every format quirk and every kind of bad row."""

import io

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.engine import Database
from ladeportal.errors import ValidationFailed
from ladeportal.jobs.models import OutboxTask
from ladeportal.members.export import export_members
from ladeportal.members.groups import create_group
from ladeportal.members.import_plan import RowStatus
from ladeportal.members.local_list import local_list_version
from ladeportal.members.member_import import ImportProgress, dry_run_member_import, import_members
from ladeportal.members.models import IdTag, Membership, User
from ladeportal.members.search import MemberQuery, search_members
from tests.factories import ACTOR, make_member, make_org, make_tag
from tests.query_count import statements_sent

HEADER_NB = "Mobilnummer;Navn;E-post;Gruppe;RFID;Parkeringsplass"


def xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


async def _statuses(report: object) -> list[tuple[int, str, str]]:
    return [(r.line, r.status.value, r.message) for r in report.rows]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (f"{HEADER_NB}\r\n912 34 567;Åse Øvrebø;;Beboere;04a1b2c3;P-12\r\n".encode(), "utf8.csv"),
        (("\ufeff" + f"{HEADER_NB}\n912 34 567;Åse Øvrebø;;Beboere;04a1b2c3;P-12\n").encode(), "bom.csv"),
        (f"{HEADER_NB}\r\n912 34 567;Åse Øvrebø;;Beboere;04a1b2c3;P-12\r\n".encode("cp1252"), "excel.csv"),
        (
            b"Mobile number,Name,E-mail,Group,RFID UID,Parking spot\n+47 91234567,\xc3\x85se \xc3\x98vreb\xc3\xb8,,"
            b"beboere,04:A1:B2:C3,P-12\n",
            "english.csv",
        ),
        (
            "mobil\tnavn\tgruppe\trfid\tp-plass\n91234567\tÅse Øvrebø\tBeboere\t04A1B2C3\tP-12\n".encode("utf-16"),
            "unicode.txt",
        ),
        (
            xlsx(
                [
                    ["Mobilnummer", "Navn", "Gruppe", "RFID", "Parkeringsplass"],
                    [91234567, "Åse Øvrebø", "Beboere", "04A1B2C3", "P-12"],
                ]
            ),
            "sheet.xlsx",
        ),
        (
            xlsx(
                [
                    ["Telefon", "Namn", "Grupp", "Brikke", "Plass"],
                    [4791234567, "Åse Øvrebø", "Beboere", "04A1B2C3", "P-12"],
                ]
            ),
            "no-extension",
        ),
    ],
)
async def test_every_common_file_shape_imports_the_same(session: AsyncSession, content: bytes, name: str) -> None:
    org = await make_org(session)
    group = await create_group(session, ACTOR, org.id, "Beboere")
    dry = await dry_run_member_import(session, org.id, content, name)
    assert [(r.status, r.phone) for r in dry.rows] == [(RowStatus.added, "+4791234567")]
    assert await session.scalar(select(func.count()).select_from(Membership)) == 0
    report = await import_members(session, ACTOR, org.id, content, name)
    assert report.committed and report.counts["added"] == 1
    [row] = (await search_members(session, org.id, MemberQuery(text="91234567"))).items
    assert (row.membership.name, row.membership.group_id, row.membership.parking_spot) == (
        "Åse Øvrebø",
        group.id,
        "P-12",
    )
    assert [t.uid for t in row.tags] == ["04A1B2C3"]


async def test_importing_the_same_file_twice_changes_nothing(session: AsyncSession) -> None:
    org = await make_org(session)
    await create_group(session, ACTOR, org.id, "Beboere")
    content = f"{HEADER_NB}\n91234567;Kari;kari@example.no;Beboere;04A1B2C3, 04A1B2C4;P1\n92345678;;;;;\n".encode()
    first = await import_members(session, ACTOR, org.id, content, "m.csv")
    assert first.counts == {"added": 2, "updated": 0, "unchanged": 0, "error": 0}
    version = await local_list_version(session, org.id)
    tasks = await session.scalar(select(func.count()).select_from(OutboxTask))
    second = await import_members(session, ACTOR, org.id, content, "m.csv")
    assert second.counts == {"added": 0, "updated": 0, "unchanged": 2, "error": 0}
    assert await local_list_version(session, org.id) == version
    assert await session.scalar(select(func.count()).select_from(OutboxTask)) == tasks
    invites = (await session.scalars(select(OutboxTask).where(OutboxTask.kind == "sms.send"))).all()
    assert sorted(t.payload["to"] for t in invites) == ["+4791234567", "+4792345678"]


async def test_changed_rows_are_updated_and_empty_cells_leave_values_alone(session: AsyncSession) -> None:
    org = await make_org(session)
    await create_group(session, ACTOR, org.id, "Beboere")
    m = await make_member(session, org, "+4791234567", name="Kari")
    content = f"{HEADER_NB}\n91234567;Kari Nordmann;;Beboere;;\n".encode()
    report = await import_members(session, ACTOR, org.id, content, "m.csv")
    assert [(r.status, r.changes) for r in report.rows] == [(RowStatus.updated, ["name", "group"])]
    m = (await search_members(session, org.id, MemberQuery())).items[0].membership
    assert m.name == "Kari Nordmann" and m.group_id is not None


async def test_every_bad_row_is_reported_and_nothing_is_imported(session: AsyncSession) -> None:
    a, b = await make_org(session), await make_org(session)
    a_id = a.id
    await make_tag(session, b, await make_member(session, b), uid="0B0B0B0B")
    await make_tag(session, a, await make_member(session, a, "+4799999999"), uid="0A0A0A0A")
    content = "\n".join(
        [
            HEADER_NB,
            "91234567;Ok;;;;",
            "912 34 567;Same number;;;;",
            "22334455;Landline;;;;",
            "12;Short;;;;",
            "93456789;Bad mail;not-an-email;;;",
            "94567890;No group;;Finnes ikke;;",
            "95678901;Bad tag;;;XYZ;",
            "96789012;Theirs;;;0B0B0B0B;",
            "97890123;Someone elses;;;0A0A0A0A;",
            "98901234;Tag twice;;;0C0C0C0C;",
            "41234567;Tag twice too;;;0c:0c:0c:0c;",
            "42345678;Extra;;;;;surplus",
        ]
    ).encode()
    dry = await dry_run_member_import(session, a_id, content, "bad.csv")
    statuses = [(r.line, r.status.value) for r in dry.rows]
    assert statuses[0] == (2, "added") and statuses[9] == (11, "added")
    errors = {r.line: r.message for r in dry.rows if r.status == RowStatus.error}
    assert set(errors) == {3, 4, 5, 6, 7, 8, 9, 10, 12, 13}
    assert "line 2" in errors[3] and "not a mobile number" in errors[4] and "not a phone number" in errors[5]
    assert "e-mail" in errors[6] and "Finnes ikke" in errors[7] and "not an RFID UID" in errors[8]
    assert "another organisation" in errors[9] and "someone else" in errors[10]
    assert "line 11" in errors[12] and "more values" in errors[13]
    before = await session.scalar(select(func.count()).select_from(User))
    with pytest.raises(ValidationFailed, match="10 row"):
        await import_members(session, ACTOR, a_id, content, "bad.csv")
    assert await session.scalar(select(func.count()).select_from(User)) == before
    report = await import_members(session, ACTOR, a_id, content, "bad.csv", skip_invalid_rows=True)
    assert report.counts["added"] == 2
    assert await session.scalar(select(func.count()).select_from(User)) == before + 2


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "m.csv", "empty"),
        (b"Navn;E-post\nKari;k@x.no\n", "m.csv", "Missing column"),
        (b"Mobil;Telefon\n91234567;91234567\n", "m.csv", "same thing"),
        (b"PK\x03\x04not really a zip", "m.xlsx", "not a valid XLSX"),
        (b"\xd0\xcf\x11\xe0old excel", "m.xls", "CSV or XLSX"),
        (b"\x00\x01\x02\x03binary", "m.csv", "not a text"),
        (b'Mobil;Navn\n91234567;"unterminated\n', "m.csv", None),
    ],
)
async def test_malformed_files_are_rejected_with_a_reason(
    session: AsyncSession, content: bytes, name: str, message: str | None
) -> None:
    org = await make_org(session)
    if message is None:  # a quote that never ends swallows the rest: one row, reported, not a crash
        report = await dry_run_member_import(session, org.id, content, name)
        assert report.rows[0].status == RowStatus.added
        return
    with pytest.raises(ValidationFailed, match=message) as info:
        await dry_run_member_import(session, org.id, content, name)
    assert info.value.field == "file"


async def test_unknown_columns_are_reported_and_ignored(session: AsyncSession) -> None:
    org = await make_org(session)
    report = await dry_run_member_import(session, org.id, b"Leilighet;Mobil\nH0101;91234567\n", "m.csv")
    assert report.ignored_columns == ["Leilighet"] and report.counts["added"] == 1


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
async def test_export_reads_back_as_unchanged(session: AsyncSession, fmt: str) -> None:
    org = await make_org(session)
    group = await create_group(session, ACTOR, org.id, "Beboere")
    m = await make_member(session, org, "+4791234567", name='=HYPERLINK("x")', group_id=group.id)
    await make_tag(session, org, m, uid="04A1B2C3")
    await make_tag(session, org, m, uid="04A1B2C4")
    await make_member(session, org, "+46701234567", name="Åsa")
    data = await export_members(session, org.id, fmt)
    if fmt == "xlsx":
        sheet = load_workbook(io.BytesIO(data)).active
        assert sheet["A1"].value == "Mobilnummer" and sheet["B2"].value.startswith("'=")  # not a formula
        assert sheet.title == "Medlemmer" and sheet["H2"].value == "Invitert"
    else:
        assert data.startswith(b"\xef\xbb\xbfMobilnummer;") and "Åsa".encode() in data
        assert ";Invitert;" in data.decode("utf-8-sig") and "invited" not in data.decode("utf-8-sig")
    report = await import_members(session, ACTOR, org.id, data, f"export.{fmt}")
    assert report.counts == {"added": 0, "updated": 0, "unchanged": 2, "error": 0}
    assert set(report.ignored_columns) == {"Status", "Første innlogging"}


async def test_ten_thousand_rows_with_progress(db: Database, session: AsyncSession) -> None:
    org = await make_org(session)
    lines = [HEADER_NB] + [
        f"9{i:07d};Person {i};p{i}@example.no;Standard;{0x10000000 + i:08X};P{i}" for i in range(10_000)
    ]
    content = "\n".join(lines).encode()
    seen: list[ImportProgress] = []
    with statements_sent(db.engine) as dry_statements:
        dry = await dry_run_member_import(session, org.id, content, "big.csv", progress=seen.append)
    assert dry.counts["added"] == 10_000 and seen[-1] == ImportProgress("checking", 10_000, 10_000)

    saving: list[ImportProgress] = []

    async def progress(p: ImportProgress) -> None:
        (saving if p.phase == "saving" else seen).append(p)

    with statements_sent(db.engine) as import_statements:
        report = await import_members(session, ACTOR, org.id, content, "big.csv", progress=progress)
    assert report.counts["added"] == 10_000
    assert saving and [p.done for p in saving] == sorted(p.done for p in saving)  # saving moves forward
    assert saving[-1].done >= 10_000
    # Rows are looked up and written in batches: a statement per row would be 10,000 or more.
    assert len(dry_statements) < 200 and len(import_statements) < 200
    assert await session.scalar(select(func.count()).select_from(IdTag)) == 10_000
    again = await dry_run_member_import(session, org.id, content, "big.csv")
    assert again.counts["unchanged"] == 10_000
