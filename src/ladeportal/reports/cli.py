"""`ladeportal reports rebuild [--org ID]`: the report tables computed again from the raw sessions."""

from __future__ import annotations

import uuid

import typer

from ladeportal.cli.output import command_session, emit, fail, run

app = typer.Typer(no_args_is_help=True, help="Reports: usage and revenue aggregates.")


@app.command("rebuild")
def rebuild_command(
    org: str | None = typer.Option(None, "--org", help="Only this organisation (its id); all when left out."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Forget the aggregates and split every finished session again (safe while the worker runs)."""
    org_id = None
    if org is not None:
        try:
            org_id = uuid.UUID(org)
        except ValueError:
            fail(f"--org {org!r} is not an organisation id")

    async def body() -> None:
        from ladeportal.orgs.models import Organization
        from ladeportal.reports.aggregates import rebuild

        async with command_session() as s:
            if org_id is not None and await s.get(Organization, org_id) is None:
                fail(f"no organisation {org_id}")
            count = await rebuild(s, org_id)
        emit(as_json, {"sessions": count, "organization_id": org_id}, f"{count} finished sessions aggregated")

    run(body)
