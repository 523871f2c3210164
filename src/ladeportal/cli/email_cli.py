"""`ladeportal email test --to ADDRESS`: check the e-mail settings from the shell."""

from __future__ import annotations

import typer

from ladeportal.cli.output import command_session, emit, fail, run
from ladeportal.db.engine import unit_of_work
from ladeportal.messaging.email import EmailDeferred, EmailRejected
from ladeportal.messaging.email_check import queue_test_email, send_test_email_now
from ladeportal.settings import get_settings

app = typer.Typer(no_args_is_help=True)


@app.command("test")
def test(
    to: str = typer.Option(..., "--to", help="Where the test e-mail goes."),
    language: str = typer.Option("nb", help="nb, en or sv."),
    now: bool = typer.Option(
        False, "--now", help="Send at once and show the mail server's answer, instead of queueing it for the worker."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Send a test e-mail with the configured settings (LADEPORTAL_EMAIL_PROVIDER, LADEPORTAL_SMTP_*)."""

    async def queued() -> int | None:
        async with command_session() as s, unit_of_work(s):
            return await queue_test_email(s, to, language)

    if not now:
        delivery_id = run(queued)
        channel = get_settings().email_provider
        emit(
            as_json,
            {"queued": True, "delivery_id": delivery_id, "provider": channel},
            f"queued e-mail {delivery_id} ({channel}); `ladeportal serve` or `ladeportal worker` sends it",
        )
        return
    try:
        provider, answer = run(lambda: send_test_email_now(to, language))
    except EmailRejected as exc:
        fail(f"refused: {exc}")
        return
    except EmailDeferred as exc:
        fail(f"not sent (temporary): {exc}")
        return
    emit(as_json, {"sent": True, "provider": provider, "answer": answer}, f"sent via {provider}: {answer}")
