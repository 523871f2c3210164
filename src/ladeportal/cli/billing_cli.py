"""`ladeportal payments status|sync|switch-date`: an organisation's Stripe account from the shell."""

from __future__ import annotations

from datetime import date
from typing import Any

import typer

from ladeportal.billing.account_status import PaymentsStatus
from ladeportal.billing.deadlines import invoicing_deadline, set_invoicing_switch_date
from ladeportal.billing.onboarding import payments_status, sync_account
from ladeportal.cli.output import command_session, emit, run
from ladeportal.db.engine import Database
from ladeportal.errors import ValidationFailed
from ladeportal.members.persons import find_person
from ladeportal.orgs.services import find_organization
from ladeportal.settings import get_settings

app = typer.Typer(no_args_is_help=True)
JSON = typer.Option(False, "--json", help="Print the result as JSON.")


def _data(status: PaymentsStatus, switch_date: date | None, days_left: int | None) -> dict[str, Any]:
    return {
        "state": status.state.value,
        "account_id": status.account_id,
        "charges_enabled": status.charges_enabled,
        "payouts_enabled": status.payouts_enabled,
        "details_submitted": status.details_submitted,
        "currently_due": list(status.currently_due),
        "past_due": list(status.past_due),
        "pending_verification": list(status.pending_verification),
        "deadline": status.deadline,
        "disabled_reason": status.disabled_reason,
        "synced_at": status.synced_at,
        "last_error_code": status.last_error_code,
        "switch_date": switch_date,
        "days_left": days_left,
    }


def _human(org_name: str, data: dict[str, Any]) -> str:
    lines = [f"{org_name}: {data['state']} (account {data['account_id'] or '-'})"]
    for key in ("currently_due", "past_due", "pending_verification"):
        if data[key]:
            lines.append(f"  {key}: {', '.join(data[key])}")
    for key in ("deadline", "disabled_reason", "last_error_code", "synced_at"):
        if data[key]:
            lines.append(f"  {key}: {data[key]}")
    if data["switch_date"]:
        lines.append(f"  switch date: {data['switch_date']} ({data['days_left']} days left)")
    return "\n".join(lines)


def _show(org_ref: str, as_json: bool, *, sync: bool) -> None:
    async def body() -> None:
        async with command_session() as s:
            org = await find_organization(s, org_ref)
            org_id, name = org.id, org.legal_name
            await s.commit()
        if sync:
            db = Database(get_settings().database_url)
            try:
                await sync_account(db, org_id)
            finally:
                await db.dispose()
        async with command_session() as s:
            deadline = await invoicing_deadline(s, org_id)
            status = await payments_status(s, org_id)
        data = _data(status, deadline.switch_date, deadline.days_left)
        emit(as_json, {"organization_id": org_id, **data}, _human(name, data))

    run(body)


@app.command("status")
def status(org: str = typer.Argument(..., help="Organisation id or number."), as_json: bool = JSON) -> None:
    """The organisation's payments state as Stripe last described it, and its switch date."""
    _show(org, as_json, sync=False)


@app.command("sync")
def sync(org: str = typer.Argument(..., help="Organisation id or number."), as_json: bool = JSON) -> None:
    """Read the organisation's account from Stripe again, store it and show it."""
    _show(org, as_json, sync=True)


@app.command("switch-date")
def switch_date(
    orgs: list[str] = typer.Argument(..., help="Organisation ids or numbers."),
    when: str | None = typer.Option(None, "--date", help="The switch date, YYYY-MM-DD."),
    clear: bool = typer.Option(False, "--clear", help="Remove the switch date instead."),
    staff: str = typer.Option(..., "--staff", help="Mobile number or user id of the platform staff member."),
    as_json: bool = JSON,
) -> None:
    """Platform staff: set the day the organisations' invoicing moves to Stripe (audited)."""

    async def body() -> None:
        if clear == (when is not None):
            raise ValidationFailed(
                "Give either --date YYYY-MM-DD or --clear.", field="date", code="payments.date_or_clear"
            )
        day = None
        if when is not None:
            try:
                day = date.fromisoformat(when)
            except ValueError:
                raise ValidationFailed(
                    f"{when!r} is not a date (YYYY-MM-DD).",
                    field="date",
                    code="payments.date_invalid",
                    params={"value": when},
                ) from None
        async with command_session() as s:
            person = await find_person(s, staff)
            org_ids = [(await find_organization(s, ref)).id for ref in orgs]
            changed = await set_invoicing_switch_date(s, org_ids, day, staff_id=person.id)
        emit(
            as_json,
            {"switch_date": day, "organizations": len(org_ids), "changed": changed},
            f"switch date {day or 'removed'}: {changed} of {len(org_ids)} organisation(s) changed",
        )

    run(body)
