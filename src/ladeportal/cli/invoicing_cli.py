"""`ladeportal invoicing preview|approve|export`: an organisation's monthly invoice run from the shell,
through the same operations as the portal (billing/invoice_runs.py) and the accountant's export
(billing/accounting_export.py). The actor is the system ("cli"), audited as such."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from ladeportal.billing.accounting_export import FORMATS, export_month
from ladeportal.billing.invoice_listing import current_run, parse_month
from ladeportal.billing.invoice_models import InvoiceRun
from ladeportal.billing.invoice_preview import member_drafts
from ladeportal.billing.invoice_runs import approve_run, open_run
from ladeportal.billing.items import held_back_sessions
from ladeportal.billing.unpriced import unpriced_sessions
from ladeportal.cli.output import command_session, emit, run
from ladeportal.errors import NotFound, ValidationFailed
from ladeportal.orgs.services import find_organization
from ladeportal.platform.audit import Actor

app = typer.Typer(no_args_is_help=True)
JSON = typer.Option(False, "--json", help="Print the result as JSON.")
ORG = typer.Argument(..., help="Organisation id or number.")
MONTH = typer.Argument(..., help="The month, YYYY-MM.")
CLI = Actor.system("cli")


def _month(raw: str) -> Any:
    month = parse_month(raw, "month")
    if month is None:
        raise ValidationFailed(
            "Give the month as YYYY-MM, e.g. 2026-11.", field="month", code="invoicing.month_invalid"
        )
    return month


def _run_data(run: InvoiceRun) -> dict[str, Any]:
    return {
        "run_id": run.id,
        "period_month": run.period_month.strftime("%Y-%m"),
        "state": run.state.value,
        "members_total": run.members_total,
        "invoices_done": run.invoices_done,
        "carried_over": run.carried_over,
        "total_minor": run.total_minor,
        "currency": run.currency,
    }


@app.command("preview")
def preview(org: str = ORG, month: str = MONTH, as_json: bool = JSON) -> None:
    """Open the month's run (or find it) and show what it would invoice, per member."""

    async def body() -> None:
        async with command_session() as s:
            found = await find_organization(s, org)
            run_row = await open_run(s, CLI, found.id, _month(month))
            drafts = await member_drafts(s, run_row)
            held = await held_back_sessions(s, found.id, until=run_row.cutoff_at)
            unpriced = sum(u.sessions for u in await unpriced_sessions(s, found.id, until=run_row.cutoff_at))
            data = _run_data(run_row)
        billed = [d for d in drafts if not d.carried_over]
        data |= {
            "invoices": len(billed),
            "carried_over_members": len(drafts) - len(billed),
            "preview_total_minor": sum(d.total_minor for d in billed),
            "held_back_sessions": held,
            "unpriced_sessions": unpriced,
            "members": [
                {
                    "membership_id": d.membership_id,
                    "name": d.member_name,
                    "total_minor": d.total_minor,
                    "carried_over": d.carried_over,
                }
                for d in drafts
            ],
        }
        lines = [
            f"{data['period_month']}: {data['state']}, {len(billed)} invoice(s), "
            f"{data['preview_total_minor'] / 100:.2f} {data['currency']}, "
            f"{data['carried_over_members']} carried over, {held} session(s) held back, "
            f"{unpriced} not priced (no price plan for the group at the site: not invoiced)"
        ]
        lines += [
            f"  {d.member_name or d.phone or d.membership_id}: {d.total_minor / 100:.2f}"
            + (" (carried over)" if d.carried_over else "")
            for d in drafts
        ]
        emit(as_json, data, "\n".join(lines))

    run(body)


@app.command("approve")
def approve(org: str = ORG, month: str = MONTH, as_json: bool = JSON) -> None:
    """Approve the month's run (made with `preview` first): the worker makes and sends the invoices."""

    async def body() -> None:
        async with command_session() as s:
            found = await find_organization(s, org)
            wanted = _month(month)
            waiting = await current_run(s, found.id)
            if waiting is None or waiting.period_month != wanted:
                raise NotFound(
                    "No run of that month waits for approval; run preview first.", code="invoicing.run_not_found"
                )
            approved = await approve_run(s, CLI, found.id, waiting.id)
            data = _run_data(approved)
        emit(as_json, data, f"{data['period_month']}: {data['state']}, {data['members_total']} invoice(s) to make")

    run(body)


@app.command("export")
def export(
    org: str = ORG,
    month: str = MONTH,
    output: Path = typer.Option(..., "--output", "-o", help="The file to write (.csv or .xlsx)."),
    language: str = typer.Option("nb", "--language", help="nb or en (headers and states)."),
) -> None:
    """The accountant's file of a month: invoices sent and credits made, with totals."""

    async def body() -> bytes:
        fmt = output.suffix.lstrip(".").lower()
        if fmt not in FORMATS:
            raise ValidationFailed("Export as CSV or XLSX.", field="format", code="sessions.export_format")
        async with command_session() as s:
            found = await find_organization(s, org)
            return await export_month(s, found.id, _month(month), found.time_zone, fmt, language)

    content = run(body)
    output.write_bytes(content)
    typer.echo(f"wrote {output} ({len(content)} bytes)")
