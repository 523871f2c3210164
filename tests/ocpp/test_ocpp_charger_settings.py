"""The per-charger fallback subprotocol, edited where chargers are edited: the JSON API and the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from ladeportal.chargers.models import ChargePoint
from ladeportal.db.engine import Database
from ladeportal.platform.api_tokens import create_api_token
from tests.factories import ACTOR, make_org
from tests.ocpp.conftest import World


async def _fallback(db: Database, world: World) -> str | None:
    async with db.session() as s:
        cp = await s.get(ChargePoint, world.cp_uuid)
    assert cp is not None
    return cp.fallback_subprotocol


async def test_the_api_sets_and_clears_the_fallback_and_refuses_unknown_protocols(
    db: Database, client: httpx.AsyncClient, world: World
) -> None:
    async with db.session() as s:
        token = await create_api_token(s, ACTOR, world.org.id, "ops", ["read", "write"])
        outsider = await create_api_token(s, ACTOR, (await make_org(s)).id, "ops", ["read", "write"])
    url = f"/api/v1/orgs/{world.org.id}/chargers/{world.cp_uuid}"
    auth = {"Authorization": f"Bearer {token.secret}"}

    answer = await client.patch(url, json={"fallback_subprotocol": "ocpp1.6"}, headers=auth)
    assert answer.status_code == 200, answer.text
    assert answer.json()["fallback_subprotocol"] == "ocpp1.6"
    assert await _fallback(db, world) == "ocpp1.6"

    bad = await client.patch(url, json={"fallback_subprotocol": "ocpp1.5"}, headers=auth)
    assert bad.status_code == 422 and await _fallback(db, world) == "ocpp1.6"
    # Another organisation cannot even see the charger.
    stranger = await client.patch(url, json={}, headers={"Authorization": f"Bearer {outsider.secret}"})
    assert stranger.status_code == 404

    cleared = await client.patch(url, json={"fallback_subprotocol": None}, headers=auth)
    assert cleared.status_code == 200 and cleared.json()["fallback_subprotocol"] is None
    assert await _fallback(db, world) is None


@pytest.mark.slow
async def test_the_cli_sets_the_fallback(db: Database, database_url: str, world: World, tmp_path: Path) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "ladeportal.cli.main", "charger", *args],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=120,
            check=False,
            env={**os.environ, "LADEPORTAL_DATABASE_URL": database_url},
        )

    org = str(world.org.id)
    done = cli("set-fallback-subprotocol", "--org", org, world.cp_id, "ocpp1.6")
    assert done.returncode == 0, done.stderr
    assert await _fallback(db, world) == "ocpp1.6"
    refused = cli("set-fallback-subprotocol", "--org", org, world.cp_id, "ocpp9")
    assert refused.returncode != 0 and await _fallback(db, world) == "ocpp1.6"
    assert cli("set-fallback-subprotocol", "--org", org, world.cp_id, "none").returncode == 0
    assert await _fallback(db, world) is None
