"""The number of SQL statements behind the dashboard, the chargers list and the users list is fixed: it
does not grow with the chargers, sessions or members of the organisation (the N+1 guard). Each page is
counted with a small installation and again after it has grown several times over.

The counts are pinned: a change that adds a statement to a page shows up here, and the new number is
written down on purpose (or the page is fixed) rather than drifting upwards unnoticed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.base import utcnow
from ladeportal.db.engine import Database
from ladeportal.members.groups import create_group
from ladeportal.members.models import Role
from ladeportal.orgs.models import Organization
from tests.factories import ACTOR, make_member, make_org, make_site, make_tag, mobile_number
from tests.portal.conftest import new_client, sign_in
from tests.portal.ocpp_rows import charger, charging_session, orphan
from tests.query_count import statements_sent

# Statements per page, whatever the size of the installation. Each includes the one statement of
# the organisation's standing with the current terms (web/portal/org_guard.py).
DASHBOARD = 8  # the open alerts are the one list of problems (one statement: the list and its count)
CHARGERS = 10  # with live power: running sessions and their latest readings
USERS = 10


@dataclass
class Board:
    org: Organization
    client: httpx.AsyncClient
    grown: int = 0  # installations added so far, for unique names

    def page(self, path: str) -> str:
        return f"/portal/o/{self.org.id}/{path}"


@pytest.fixture
async def board(app: FastAPI, session: AsyncSession) -> AsyncIterator[Board]:
    org = await make_org(session)
    phone = mobile_number()
    await make_member(session, org, phone, role=Role.org_admin)
    async with new_client(app) as client:
        assert (await sign_in(client, session, phone)).status_code == 303
        yield Board(org, client)


async def grow(session: AsyncSession, board: Board, chargers: int, members: int) -> None:
    """One more site with chargers in every state, their sessions and unmatched messages, and members with
    tags in a group of their own."""
    board.grown += 1
    n = board.grown
    now = utcnow()
    site = await make_site(session, board.org, name=f"Garasje {n}")
    states = [("Available", "Available"), ("Charging", "Available"), ("Faulted", "Charging"), ("Unknown", "Unknown")]
    for k in range(chargers):
        seen = None if k % 4 == 3 else now - timedelta(seconds=30 + 3600 * (k % 5 == 4))
        cp_id = await charger(session, site, f"Q{n}-{k:03d}", seen=seen, statuses=states[k % 4], name=f"Plass {k}")
        await charging_session(
            session,
            site,
            cp_id,
            now - timedelta(hours=3),
            energy_wh=4000 + k,
            anomalies=["meter_reset"] if k % 3 == 0 else None,
        )
        if k % 4 in (1, 2):
            await charging_session(
                session, site, cp_id, now - timedelta(minutes=20), running_wh=1500, connector=1 + k % 4 // 2
            )
        if k % 3 == 1:
            await orphan(session, cp_id)
    group = await create_group(session, ACTOR, board.org.id, f"Gruppe {n}")
    for k in range(members):
        member = await make_member(session, board.org, name=f"Beboer {n}-{k}", group_id=group.id)
        await make_tag(session, board.org, member)
        if k % 2 == 0:
            await make_tag(session, board.org, member)


async def statements_for(db: Database, board: Board, path: str) -> list[str]:
    # The first request warms what a process loads once; the second is the one that is counted.
    assert (await board.client.get(board.page(path))).status_code == 200
    with statements_sent(db.engine) as sent:
        response = await board.client.get(board.page(path))
    assert response.status_code == 200, response.text
    # The browser session's last-seen time is written at most once a minute, on whichever request is
    # due: the session's bookkeeping, not the page's work.
    return [s for s in sent if not s.startswith("UPDATE portal_sessions")]


@pytest.mark.parametrize(("path", "pinned"), [("", DASHBOARD), ("chargers", CHARGERS), ("users", USERS)])
async def test_a_page_sends_the_same_statements_for_a_small_and_a_large_installation(
    db: Database, session: AsyncSession, board: Board, path: str, pinned: int
) -> None:
    await grow(session, board, chargers=5, members=2)  # one charger in each state the pages tell apart
    small = await statements_for(db, board, path)
    await grow(session, board, chargers=12, members=20)
    await grow(session, board, chargers=6, members=10)
    large = await statements_for(db, board, path)
    assert len(large) == len(small), "a statement per row:\n" + "\n".join(large)
    assert len(small) == pinned, "\n".join(small)
