"""After an upgrade (or with a long history and no aggregates) the reports job works in bounded runs:
each run stops after its time budget, the next goes on from the watermark, and the reports page says
how many sessions are still to be counted."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.reports import aggregates
from ladeportal.reports.aggregates import backlog, rebuild, refresh
from tests.factories import make_site
from tests.portal.conftest import TwoOrgs
from tests.portal.ocpp_rows import charger
from tests.reports.world import add_session


async def test_the_job_catches_up_in_bounded_runs_and_the_page_shows_progress(
    two_orgs: TwoOrgs, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(aggregates, "BATCH", 2)
    org = two_orgs.org_a
    site = await make_site(session, org)
    cp = await charger(session, site, f"R-{uuid.uuid4().hex[:8]}", seen=None)
    start = datetime(2026, 3, 2, 8, tzinfo=UTC)
    for n in range(5):
        day = start + timedelta(days=n)
        await add_session(session, site, cp, day, day + timedelta(hours=1), 1_000, net=100)
    assert await backlog(session, org.id) == 5
    # A run whose budget is spent after its first batch leaves the rest for the next run.
    assert await refresh(session, budget=0) == 2
    assert await backlog(session, org.id) == 3
    assert await backlog(session, two_orgs.org_b.id) == 0
    page = await two_orgs.admin_a.client.get(f"/portal/o/{org.id}/reports", params={"date": "2026-03-01"})
    assert 'data-testid="report-backlog"' in page.text and "3 avsluttede økter gjenstår" in page.text
    api = await two_orgs.admin_a.client.get(f"/api/v1/orgs/{org.id}/reports", params={"date": "2026-03-01"})
    assert api.json()["aggregates_behind_sessions"] == 3
    assert await refresh(session) == 3
    assert await backlog(session, org.id) == 0
    page = await two_orgs.admin_a.client.get(f"/portal/o/{org.id}/reports", params={"date": "2026-03-01"})
    assert 'data-testid="report-backlog"' not in page.text


async def test_a_full_rebuild_leaves_the_job_nothing_to_read_again(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    site = await make_site(session, two_orgs.org_a)
    cp = await charger(session, site, f"R-{uuid.uuid4().hex[:8]}", seen=None)
    start = datetime(2026, 4, 2, 8, tzinfo=UTC)
    await add_session(session, site, cp, start, start + timedelta(hours=1), 1_000, net=100)
    assert await backlog(session, two_orgs.org_a.id) == 1
    assert await rebuild(session) >= 1
    assert await backlog(session, two_orgs.org_a.id) == 0
