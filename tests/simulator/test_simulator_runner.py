"""The many-charger runner and the `simulate` command, briefly, against the test central system."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from typer.testing import CliRunner

from conftest import CentralSystem
from ladeportal.simulator.cli import app
from ladeportal.simulator.runner import Behaviour, Simulator


async def test_runner_boots_every_charger_and_drives_sessions(central: CentralSystem) -> None:
    credentials = {f"SIM-{n}": "pw-pw-pw-pw-pw-pw" for n in range(3)}
    quick = Behaviour(mean_idle=0.05, mean_session=0.3)
    simulator = Simulator(central.url, credentials, seed=7, meter_interval=1, ramp_up=0.1, behaviour=quick)
    async with asyncio.timeout(10):
        stats = await simulator.run(duration=2.0)
    booted = {who for who, frame in central.frames if frame[2] == "BootNotification"}
    assert booted == set(credentials)
    assert stats.sessions_started > 0 and stats.errors == []
    starts = central.calls("StartTransaction")
    assert len(starts) == stats.sessions_started
    assert all(start["idTag"] in simulator.tags for start in starts)


def test_simulate_command_reads_credentials(tmp_path: Path) -> None:
    # No server listening: the chargers keep retrying, and the command still ends on time.
    creds = tmp_path / "creds.json"
    creds.write_text(json.dumps({"CP-A": "secret-secret-1", "CP-B": "secret-secret-2"}))
    result = CliRunner().invoke(app, [
        "--url", "ws://127.0.0.1:9/ocpp", "--credentials", str(creds), "--duration", "0.5",
    ])
    assert result.exit_code == 0, result.output
    assert "simulating 2 chargers" in result.output
