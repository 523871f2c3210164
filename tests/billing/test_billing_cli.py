"""`ladeportal payments status|sync|switch-date` in a subprocess against the test database and the stand-in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.billing.onboarding import onboarding_link
from ladeportal.db.engine import Database
from ladeportal.members.services import make_operator
from ladeportal.stripe_standin.server import StandinServer
from tests.billing.conftest import REFRESH_URL, RETURN_URL, staff_member, stored_account
from tests.factories import ACTOR, make_org, mobile_number


def _cli(url: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ladeportal.cli.main", "payments", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "LADEPORTAL_DATABASE_URL": url},
        cwd=cwd,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
async def test_status_sync_and_switch_date_from_the_shell(
    db: Database, session: AsyncSession, database_url: str, standin: StandinServer, tmp_path: Path
) -> None:
    def ok(*args: str) -> dict[str, Any]:
        result = _cli(database_url, *args, "--json", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        return dict(json.loads(result.stdout))

    org = await make_org(session)
    number = org.org_number
    admin = await staff_member(session, org)
    staff_phone = mobile_number()
    await make_operator(session, ACTOR, staff_phone, "Ola Operatør")

    assert ok("status", number)["state"] == "not_started"
    await onboarding_link(db, org.id, actor_user_id=admin.user_id, return_url=RETURN_URL, refresh_url=REFRESH_URL)
    row = await stored_account(session, org.id)
    assert row is not None and row.account_id is not None
    standin.complete_onboarding(row.account_id)
    assert ok("status", number)["state"] == "in_progress"  # as last stored
    synced = ok("sync", str(org.id))
    assert synced["state"] == "ready" and synced["account_id"] == row.account_id

    changed = ok("switch-date", number, "--date", "2199-01-31", "--staff", staff_phone)
    assert changed["changed"] == 1
    assert ok("status", number)["switch_date"] == "2199-01-31"

    for args, message in [
        (("switch-date", number, "--date", "2199-02-30", "--staff", staff_phone), "is not a date"),
        (("switch-date", number, "--date", "2000-01-01", "--staff", staff_phone), "in the past"),
        (("switch-date", number, "--clear", "--date", "2199-01-01", "--staff", staff_phone), "either"),
        (("switch-date", number, "--date", "2199-03-01", "--staff", str(admin.user_id)), "staff"),
        (("status", "000000000"), "No organisation"),
    ]:
        result = _cli(database_url, *args, cwd=tmp_path)
        assert result.returncode == 1 and message in result.stderr, (args, result.stderr)
    assert ok("status", number)["switch_date"] == "2199-01-31"
