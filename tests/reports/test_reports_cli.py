"""`ladeportal reports rebuild [--org]`: the aggregates computed again from the sessions; bad input is a
clear error that changes nothing."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from typer.testing import CliRunner

from ladeportal.cli.main import app as cli
from ladeportal.db.engine import Database
from ladeportal.reports.aggregates import refresh
from ladeportal.reports.models import ReportDaily
from tests.factories import make_org, make_site
from tests.portal.ocpp_rows import charger
from tests.reports.test_aggregates import daily
from tests.reports.world import add_session


async def test_rebuild_from_the_command_line(
    db: Database, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    @asynccontextmanager
    async def on_test_database() -> AsyncIterator[AsyncSession]:
        database = Database(db.url)
        try:
            async with database.session() as s:
                yield s
        finally:
            await database.dispose()

    monkeypatch.setattr("ladeportal.reports.cli.command_session", on_test_database)

    def command(*args: str) -> tuple[int, str]:
        # In a thread: the command runs its own event loop, as it does from a shell.
        result = CliRunner().invoke(cli, ["reports", "rebuild", *args])
        return result.exit_code, result.output

    org = await make_org(session)
    site = await make_site(session, org)
    cp = await charger(session, site, f"R-{uuid.uuid4().hex[:8]}", seen=None)
    start = datetime(2026, 2, 1, 10, tzinfo=UTC)
    await add_session(session, site, cp, start, start.replace(hour=12), 5_000, net=1_000)
    await refresh(session)
    before = await daily(session, org.id)
    await session.execute(delete(ReportDaily))
    await session.commit()

    code, output = await asyncio.to_thread(command, "--org", "not-an-id")
    assert code == 1 and "not an organisation id" in output
    code, output = await asyncio.to_thread(command, "--org", str(uuid.uuid4()))
    assert code == 1 and "no organisation" in output
    assert await daily(session, org.id) == []
    code, output = await asyncio.to_thread(command, "--org", str(org.id))
    assert code == 0 and "1 finished sessions aggregated" in output
    assert await daily(session, org.id) == before
