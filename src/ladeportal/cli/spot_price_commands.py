"""`ladeportal spot-prices fetch | import | reprice`: day-ahead prices of past days from the source or from
a file (for sites without network access to it), and re-pricing of sessions billed at the fallback price.
Fetches and imports re-price the sessions of the days they store by themselves."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

import typer

from ladeportal.cli.output import command_session, emit, fail, run
from ladeportal.platform.audit import Actor
from ladeportal.pricing.spot_backfill import ALREADY_STORED, FAILED, FETCHED, NOT_PUBLISHED, UNCHANGED, DayOutcome
from ladeportal.pricing.spot_corrections import CorrectionReport
from ladeportal.pricing.spot_ranges import MAX_DAYS

app = typer.Typer(no_args_is_help=True, help="Day-ahead spot prices: fetch or import past days, re-price sessions.")
ACTOR = Actor.system("cli")
AREA = typer.Option(..., "--area", help="Price area: NO1-NO5 or SE1-SE4.")
FROM = typer.Option(..., "--from", help="First day (YYYY-MM-DD), a local day in the area.")
TO = typer.Option(None, "--to", help=f"Last day (YYYY-MM-DD), at most {MAX_DAYS} days on; defaults to --from.")
CURRENCY = typer.Option(None, "--currency", help="Defaults to the area's own: NOK for NO areas, SEK for SE areas.")
JSON = typer.Option(False, "--json", help="Print the result as JSON.")


def _day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option} {value!r} is not a date; write it as YYYY-MM-DD")
        raise AssertionError("unreachable") from None


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _corrections_text(report: CorrectionReport) -> str:
    text = f"{_plural(len(report.corrected), 'session')} re-priced"
    if report.still_waiting:
        text += f" ({len(report.still_waiting)} still missing prices of other days)"
    if report.invoiced:
        text += f", {len(report.invoiced)} left as invoiced"
    if report.failed:
        text += f", {len(report.failed)} could not be re-priced: " + "; ".join(f"#{i} {e}" for i, e in report.failed)
    return text


def _outcome_text(area: str, outcome: DayOutcome) -> str:
    head = f"{outcome.day} {area}: "
    if outcome.status in (FETCHED, UNCHANGED):
        what = "fetched" if outcome.status == FETCHED else "fetched, same as stored,"
        return head + (
            f"{what} {_plural(outcome.intervals, 'interval')}, {_plural(outcome.corrected, 'session')} re-priced"
        )
    if outcome.status == ALREADY_STORED:
        return head + "already stored"
    return head + ("not published: " if outcome.status == NOT_PUBLISHED else "failed: ") + outcome.message


@app.command("fetch")
def fetch(
    area: str = AREA,
    from_: str = FROM,
    to: str | None = TO,
    currency: str | None = CURRENCY,
    refresh: bool = typer.Option(False, "--refresh", help="Fetch days that are already stored again."),
    as_json: bool = JSON,
) -> None:
    """Fetch the prices of past days (and tomorrow, once published); days already stored are skipped."""
    first = _day(from_, "--from")
    last = _day(to, "--to") if to else first

    async def body() -> bool:
        from ladeportal.pricing.spot_backfill import fetch_range
        from ladeportal.pricing.spot_prices import SpotPriceClient

        def progress(outcome: DayOutcome) -> None:
            if not as_json:
                typer.echo(_outcome_text(report_area, outcome))

        report_area = area.strip().upper()
        async with command_session() as s, SpotPriceClient.from_settings() as client:
            report = await fetch_range(
                s, client, ACTOR, area, first, last, currency=currency, refresh=refresh, progress=progress
            )
        counts = {
            status: report.count(status) for status in (FETCHED, UNCHANGED, ALREADY_STORED, NOT_PUBLISHED, FAILED)
        }
        summary = (
            f"{report.area} {first}..{last} in {report.currency}: "
            + ", ".join(f"{n} {status.replace('_', ' ')}" for status, n in counts.items())
            + f"; {_corrections_text(report.corrections)}"
        )
        emit(
            as_json,
            {
                "area": report.area,
                "currency": report.currency,
                "counts": counts,
                "days": [asdict(d) for d in report.days],
                "corrections": asdict(report.corrections),
            },
            summary,
        )
        return report.complete

    if not run(body):
        raise typer.Exit(1)


@app.command("import")
def import_file(
    file: Path = typer.Argument(
        ...,
        exists=True,
        dir_okay=False,
        readable=True,
        help="A JSON file in the published format: one day, or whole days in one list.",
    ),
    area: str = AREA,
    currency: str | None = CURRENCY,
    as_json: bool = JSON,
) -> None:
    """Load prices from a file (all days in it or none) and re-price the sessions that waited for them."""

    content = file.read_bytes()

    async def body() -> None:
        from ladeportal.pricing.spot_imports import import_price_file

        async with command_session() as s:
            days = await import_price_file(s, ACTOR, content, area, currency=currency)
        lines = [
            f"{d.day} {d.area}: {'stored' if d.changed else 'already stored, unchanged:'} "
            f"{_plural(d.intervals, 'interval')} in {d.currency}, {_corrections_text(d.corrections)}"
            for d in days
        ]
        data: list[dict[str, Any]] = [
            {
                "day": d.day,
                "area": d.area,
                "currency": d.currency,
                "intervals": d.intervals,
                "changed": d.changed,
                "corrections": asdict(d.corrections),
            }
            for d in days
        ]
        emit(as_json, {"days": data}, "\n".join(lines))

    run(body)


@app.command("reprice")
def reprice(
    area: str = AREA,
    from_: str = FROM,
    to: str | None = TO,
    currency: str | None = CURRENCY,
    as_json: bool = JSON,
) -> None:
    """Re-price sessions of these days that were billed at the fallback price, from the prices stored now."""
    first = _day(from_, "--from")
    last = _day(to, "--to") if to else first

    async def body() -> None:
        from ladeportal.pricing.spot_corrections import reprice_range

        async with command_session() as s:
            report = await reprice_range(s, ACTOR, area, first, last, currency=currency)
        text = _corrections_text(report)
        if report.unchanged:
            text += f"; {_plural(len(report.unchanged), 'session')} still without new prices"
        emit(as_json, asdict(report), text)

    run(body)
