"""`ladeportal simulate`: run simulated chargers against a central system (ours or any other)."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import typer

from ladeportal.simulator.runner import DEMO_TAGS, SCENARIOS, Simulator

app = typer.Typer(help="Simulated OCPP 1.6J chargers.")


def load_credentials(
    credentials: Path | None, password_file: Path | None, chargers: int, id_prefix: str
) -> dict[str, str]:
    """A JSON map id -> password, or N generated ids sharing one password from a file."""
    if credentials is not None:
        loaded = json.loads(credentials.read_text())
        if not isinstance(loaded, dict) or not all(isinstance(v, str) for v in loaded.values()):
            raise typer.BadParameter("expected a JSON object mapping charge point id to password")
        ids = sorted(loaded)[:chargers] if chargers else sorted(loaded)
        return {cp_id: loaded[cp_id] for cp_id in ids}
    if password_file is None:
        raise typer.BadParameter("give --credentials or --password-file")
    password = password_file.read_text().strip()
    return {f"{id_prefix}{n:04d}": password for n in range(1, (chargers or 1) + 1)}


def local_ocpp_url() -> str:
    """The OCPP endpoint of `ladeportal serve` on this machine, wherever LADEPORTAL_HOST/PORT put it."""
    from ladeportal.settings import get_settings, local_url

    settings = get_settings()
    return "ws://" + local_url(settings.host, settings.port).removeprefix("http://") + "/ocpp"


@app.callback(invoke_without_command=True)
def simulate(
    url: str | None = typer.Option(
        None,
        help="Central system URL; /{id} is appended. Default: this machine's server at "
        "LADEPORTAL_HOST:LADEPORTAL_PORT (ws://127.0.0.1:8000/ocpp).",
    ),
    chargers: int = typer.Option(0, help="How many chargers (0 = all in --credentials, else 1)."),
    credentials: Path | None = typer.Option(None, exists=True, help="JSON: charge point id -> password."),
    password_file: Path | None = typer.Option(None, exists=True, help="One password for all chargers."),
    id_prefix: str = typer.Option("SIM-", help="Id prefix with --password-file."),
    connectors: int = typer.Option(2, min=1),
    seed: int = typer.Option(1, help="Same seed, same behaviour."),
    meter_interval: int = typer.Option(60, min=0, help="Seconds between MeterValues while charging."),
    duration: float | None = typer.Option(None, help="Seconds to run; forever if omitted."),
    scenario: str = typer.Option("demo", help=f"One of: {', '.join(SCENARIOS)}."),
    tags: str = typer.Option(",".join(DEMO_TAGS), help="Comma-separated RFID tags drivers swipe."),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Connect the chargers, boot them and drive sessions until the duration is over."""
    if scenario not in SCENARIOS:
        raise typer.BadParameter(f"unknown scenario {scenario!r}")
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING)
    creds = load_credentials(credentials, password_file, chargers, id_prefix)
    url = url or local_ocpp_url()
    simulator = Simulator(
        url,
        creds,
        connectors=connectors,
        seed=seed,
        meter_interval=meter_interval,
        scenario=scenario,
        tags=tuple(t for t in tags.split(",") if t),
    )
    typer.echo(f"simulating {len(creds)} chargers against {url} (seed {seed}, scenario {scenario})")
    try:
        stats = asyncio.run(simulator.run(duration))
    except KeyboardInterrupt:
        return
    typer.echo(
        f"sessions started {stats.sessions_started}, stopped {stats.sessions_stopped}, "
        f"rejected swipes {stats.rejected_swipes}, offline periods {stats.offline_periods}, "
        f"errors {len(stats.errors)}"
    )
