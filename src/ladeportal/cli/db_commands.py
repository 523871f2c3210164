"""`ladeportal db upgrade | check | heads`."""

from __future__ import annotations

import typer

from ladeportal.cli.output import fail
from ladeportal.db import migrate
from ladeportal.settings import SettingsError, get_settings

app = typer.Typer(no_args_is_help=True)


def _url(database_url: str | None) -> str:
    if database_url:
        return database_url
    try:
        return get_settings().database_url
    except SettingsError as exc:
        fail(str(exc), code=2)
        raise


@app.command()
def upgrade(database_url: str | None = typer.Option(None, help="Defaults to LADEPORTAL_DATABASE_URL.")) -> None:
    """Apply every migration not yet applied."""
    migrate.upgrade(_url(database_url))
    typer.echo("database is up to date")


@app.command()
def check(database_url: str | None = typer.Option(None, help="Defaults to LADEPORTAL_DATABASE_URL.")) -> None:
    """Fail when the models and the migrations disagree (run on a database upgraded to head)."""
    url = _url(database_url)
    migrate.upgrade(url)
    diffs = migrate.schema_differences(url)
    if diffs:
        for diff in diffs:
            typer.echo(f"  {diff}", err=True)
        fail(f"{len(diffs)} difference(s) between models and migrations; add a migration")
    typer.echo("models and migrations agree")
