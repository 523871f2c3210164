"""The sessions export: the filtered list in the reader's language, numbers as numbers with the currency
in its own column, local times with their zone; refused when it would be too large."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.errors import ValidationFailed
from ladeportal.sessions import export
from ladeportal.sessions.export import export_sessions
from ladeportal.sessions.filters import SessionFilter
from tests.sessions.world import World, build_world

TZ = "Europe/Oslo"


@pytest.fixture
async def world(session: AsyncSession) -> World:
    return await build_world(session)


def read_csv(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


async def test_csv_in_norwegian(session: AsyncSession, world: World) -> None:
    content = await export_sessions(session, world.org.id, SessionFilter(site_id=world.site_1.id), TZ, "csv", "nb")
    header, *rows = read_csv(content)
    assert header[:5] == ["Økt", "Start", "Slutt", "Tidssone", "Varighet (min)"]
    assert "Beløp" in header and "Valuta" in header and "Energi (kWh)" in header
    by_id = {int(r[0]): dict(zip(header, r, strict=True)) for r in rows}
    assert set(by_id) == {world.visitor, world.fallback, world.kari}
    kari = by_id[world.kari]
    # 17:00 UTC on 10 January is 18:00 in Oslo.
    assert (kari["Start"], kari["Slutt"], kari["Tidssone"]) == ("2026-01-10 18:00", "2026-01-10 19:15", TZ)
    assert (kari["Person"], kari["Gruppe"], kari["Lader"]) == ("Kari Nordmann", "Beboere", "Plass 1")
    assert (kari["Energi (kWh)"], kari["Beløp"], kari["Valuta"]) == ("12,345", "50,00", "NOK")
    assert kari["Status"] == "Avsluttet" and kari["Varighet (min)"] == "75"
    assert by_id[world.visitor]["Status"] == "Lading pågår" and by_id[world.visitor]["Beløp"] == ""
    assert "reserveprisen" in by_id[world.fallback]["Merknader"]


async def test_xlsx_in_english_has_numeric_cells(session: AsyncSession, world: World) -> None:
    content = await export_sessions(session, world.org.id, SessionFilter(), TZ, "xlsx", "en")
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    header, *rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert header[:3] == ["Session", "Start", "End"] and "Amount" in header and "Currency" in header
    by_id = {r[0]: dict(zip(header, r, strict=True)) for r in rows}
    assert list(by_id) == [world.visitor, world.ola, world.fallback, world.kari, world.unknown]
    kari = by_id[world.kari]
    assert isinstance(kari["Amount"], int | float) and isinstance(kari["Energy (kWh)"], int | float)
    assert Decimal(str(kari["Amount"])) == Decimal("50") and kari["Currency"] == "NOK"
    assert Decimal(str(kari["Energy (kWh)"])) == Decimal("12.345")
    assert kari["State"] == "Finished"
    assert by_id[world.unknown]["State"] == "Ended without a stop"
    assert by_id[world.unknown]["Person"] == "DEADBEEF"


async def test_the_other_organisations_export_has_only_its_own(session: AsyncSession, world: World) -> None:
    header, *rows = read_csv(await export_sessions(session, world.other.id, SessionFilter(), TZ, "csv", "en"))
    assert [(int(r[0]), r[header.index("Person")]) for r in rows] == [(world.other_kari, "Kari hos Beta")]


async def test_an_empty_export_has_the_header(session: AsyncSession, world: World) -> None:
    header, *rows = read_csv(
        await export_sessions(session, world.org.id, SessionFilter(member="nobody"), TZ, "csv", "nb")
    )
    assert header[0] == "Økt" and rows == []


async def test_too_large_or_unknown_format_is_refused(
    session: AsyncSession, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ValidationFailed):
        await export_sessions(session, world.org.id, SessionFilter(), TZ, "pdf", "nb")
    monkeypatch.setattr(export, "MAX_ROWS", 4)
    with pytest.raises(ValidationFailed) as caught:
        await export_sessions(session, world.org.id, SessionFilter(), TZ, "csv", "nb")
    assert caught.value.field == "since"
    assert await export_sessions(session, world.org.id, SessionFilter(site_id=world.site_2.id), TZ, "csv", "nb")


async def test_formula_like_names_are_neutralised(session: AsyncSession, world: World) -> None:
    from sqlalchemy import update

    from ladeportal.members.models import Membership
    from ladeportal.sessions.models import ChargingSession

    membership_id = await session.scalar(
        ChargingSession.__table__.select()
        .with_only_columns(ChargingSession.membership_id)
        .where(ChargingSession.id == world.kari)
    )
    await session.execute(update(Membership).where(Membership.id == membership_id).values(name="=HYPERLINK(1)"))
    await session.commit()
    header, *rows = read_csv(await export_sessions(session, world.org.id, SessionFilter(), TZ, "csv", "en"))
    names = {int(r[0]): r[header.index("Person")] for r in rows}
    assert names[world.kari] == "'=HYPERLINK(1)"
