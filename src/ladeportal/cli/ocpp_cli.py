"""`ladeportal gateway` (the OCPP gateway on its own) and `ladeportal charger command ...`."""

from __future__ import annotations

import asyncio
import json
import signal
import ssl
from typing import Any

import typer

from ladeportal.cli.output import command_session, emit, fail, run
from ladeportal.settings import get_settings

command_app = typer.Typer(no_args_is_help=True, help="Send OCPP commands to a charger and read the log.")
ORG = typer.Option(..., "--org", help="Organisation id or number.")
CHARGER = typer.Argument(..., help="Charger id or OCPP identity.")


def register(app: typer.Typer) -> None:
    """Called by cli.main: adds `gateway` and `charger command`."""
    app.command("gateway")(gateway)
    from ladeportal.cli.admin_commands import charger_app

    charger_app.add_typer(command_app, name="command")


def gateway(
    host: str | None = typer.Option(None, help="Defaults to LADEPORTAL_HOST."),
    port: int = typer.Option(8180, help="Port for ws://HOST:PORT/ocpp/{chargePointId}."),
    certfile: str | None = typer.Option(None, help="TLS certificate (PEM) for wss:// (security profile 2)."),
    keyfile: str | None = typer.Option(None, help="TLS private key (PEM)."),
    migrate_first: bool = typer.Option(True, "--migrate/--no-migrate", help="Apply migrations before starting."),
) -> None:
    """Run the OCPP gateway alone (without the portal), on a plain websockets server."""
    from ladeportal.db.engine import Database
    from ladeportal.db.migrate import upgrade
    from ladeportal.ocpp.gateway import Gateway
    from ladeportal.ocpp.websocket_server import start_server

    settings = get_settings()
    if migrate_first:
        upgrade(settings.database_url)
    context = None
    if certfile:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(certfile, keyfile)

    async def main() -> None:
        db = Database(settings.database_url, echo=settings.database_echo)
        gw = Gateway(db, settings)
        await gw.start()
        server = await start_server(gw, host or settings.host, port, ssl=context)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        scheme = "wss" if context else "ws"
        typer.echo(f"OCPP gateway on {scheme}://{host or settings.host}:{port}/ocpp/{{chargePointId}}")
        try:
            await stop.wait()
        finally:
            # SIGTERM: stop listening, close the chargers' sockets with 1012 (service restart) so they
            # reconnect at once, write what is buffered; bounded well within 10 s.
            server.close(close_connections=False)
            await gw.stop()
            await server.wait_closed()
            await db.dispose()

    # uvloop (shipped with uvicorn[standard]) costs 10-17 % less CPU per OCPP message; see
    # docs/performance.md. Fall back to the standard loop where it is not installed.
    try:
        import uvloop
    except ImportError:
        asyncio.run(main())
    else:
        uvloop.run(main())


@command_app.command("send")
def send(
    org: str = ORG,
    charger: str = CHARGER,
    action: str = typer.Argument(..., help="Reset, RemoteStartTransaction, SendLocalList, ... (see `list-actions`)."),
    payload: str = typer.Argument("{}", help='The request as JSON, e.g. \'{"type": "Soft"}\'.'),
    timeout_s: float | None = typer.Option(None, "--timeout", help="Seconds to wait for the answer."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Send a command and print the charger's answer (SendLocalList with no payload pushes all tags)."""
    try:
        body: dict[str, Any] = json.loads(payload)
    except ValueError:
        fail("the payload is not valid JSON")
        return
    if not isinstance(body, dict):
        fail("the payload is a JSON object")

    async def body_fn() -> None:
        from ladeportal.chargers.commands import send_command
        from ladeportal.chargers.services import find_charge_point
        from ladeportal.orgs.services import find_organization
        from ladeportal.platform.audit import Actor

        async with command_session() as s:
            o = await find_organization(s, org)
            cp = await find_charge_point(s, o.id, charger)
            result = await send_command(s, Actor.system("cli"), o.id, cp.id, action, body or None, timeout_s=timeout_s)
        human = (
            f"{action} -> {result.state.value}: {json.dumps(result.response)}"
            if result.error_code is None
            else f"{action} -> {result.state.value}: {result.error_code} {result.error_description or ''}"
        )
        emit(
            as_json,
            {
                "command_id": result.command_id,
                "state": result.state.value,
                "response": result.response,
                "error_code": result.error_code,
                "error_description": result.error_description,
            },
            human,
        )

    run(body_fn)


@command_app.command("log")
def log(
    org: str = ORG, charger: str = CHARGER, limit: int = typer.Option(20), as_json: bool = typer.Option(False, "--json")
) -> None:
    """The latest commands sent to a charger and their results."""

    async def body_fn() -> None:
        from ladeportal.chargers.commands import list_commands
        from ladeportal.chargers.services import find_charge_point
        from ladeportal.orgs.services import find_organization

        async with command_session() as s:
            o = await find_organization(s, org)
            cp = await find_charge_point(s, o.id, charger)
            rows = await list_commands(s, o.id, cp.id, limit)
        items: list[dict[str, Any]] = [
            {
                "id": r.id,
                "at": r.created_at.isoformat(),
                "action": r.action,
                "state": r.state.value,
                "response": r.response,
                "error_code": r.error_code,
                "by": r.actor_label,
            }
            for r in rows
        ]
        human = (
            "\n".join(
                f"{i['id']:>6} {str(i['at'])[:19]} {i['action']:<24} {i['state']:<13} "
                f"{json.dumps(i['response']) if i['response'] is not None else i['error_code'] or ''}"
                for i in items
            )
            or "no commands"
        )
        emit(as_json, {"commands": items}, human)

    run(body_fn)


@command_app.command("list-actions")
def list_actions(protocol: str = typer.Option("ocpp1.6")) -> None:
    """The commands this server can send to a charger of the given protocol."""
    from ladeportal.ocpp.commands import command_names

    typer.echo("\n".join(command_names(protocol)))
