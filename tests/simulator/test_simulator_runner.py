"""The many-charger runner and the `simulate` command, briefly, against the test central system."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ladeportal.settings import get_settings
from ladeportal.simulator.cli import app
from ladeportal.simulator.runner import Behaviour, Simulator
from tests.simulator.conftest import CentralSystem, until


async def test_runner_boots_every_charger_and_drives_sessions(central: CentralSystem) -> None:
    credentials = {f"SIM-{n}": "pw-pw-pw-pw-pw-pw" for n in range(3)}
    quick = Behaviour(mean_idle=0.05, mean_session=0.3)
    simulator = Simulator(central.url, credentials, seed=7, meter_interval=1, ramp_up=0.1, behaviour=quick)

    def started_on() -> set[str]:
        return {who for who, frame in central.frames if frame[2] == "StartTransaction"}

    # Runs until every charger has started a session, however long a busy machine takes.
    running = asyncio.create_task(simulator.run())
    try:
        await until(lambda: started_on() == set(credentials) and simulator.stats.sessions_started >= 3, within=60)
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
    stats = simulator.stats
    assert stats.errors == []
    for cp_id in credentials:
        actions = [frame[2] for who, frame in central.frames if who == cp_id and frame[0] == 2]
        assert actions[0] == "BootNotification" and actions.count("BootNotification") == 1
    starts = central.calls("StartTransaction")
    assert all(start["idTag"] in simulator.tags for start in starts)
    # Stopped mid-run: a start may be in flight (recorded here, not yet counted), at most one per connector.
    in_flight = len(credentials) * 2
    assert stats.sessions_started <= len(starts) <= stats.sessions_started + in_flight


def test_simulate_command_reads_credentials(tmp_path: Path) -> None:
    # No server listening: the chargers keep retrying, and the command still ends on time.
    creds = tmp_path / "creds.json"
    creds.write_text(json.dumps({"CP-A": "secret-secret-1", "CP-B": "secret-secret-2"}))
    result = CliRunner().invoke(
        app,
        [
            "--url",
            "ws://127.0.0.1:9/ocpp",
            "--credentials",
            str(creds),
            "--duration",
            "0.5",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "simulating 2 chargers" in result.output


def test_simulate_finds_the_local_server_on_its_port(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    creds = tmp_path / "creds.json"
    creds.write_text(json.dumps({"CP-A": "secret-secret-1"}))
    monkeypatch.setenv("LADEPORTAL_PORT", "9")
    monkeypatch.setenv("LADEPORTAL_HOST", "0.0.0.0")  # listening everywhere: reached through loopback
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["--credentials", str(creds), "--duration", "0.5"])
    finally:
        get_settings.cache_clear()  # no copy of this test's environment outlives it
    assert result.exit_code == 0, result.output
    assert "against ws://127.0.0.1:9/ocpp" in result.output
