"""Entry point: `ladeportal serve | worker | db | demo | org | site | charger | user | tag | ...`."""

from __future__ import annotations

import importlib

import typer

from ladeportal.cli import admin_commands, db_commands, server_commands

app = typer.Typer(help="Ladeportal: run EV charging installations.", no_args_is_help=True, add_completion=False)
server_commands.register(app)
app.add_typer(db_commands.app, name="db", help="Database migrations and checks.")
admin_commands.register(app)

# Sub-commands of areas that add their own (the OCPP gateway and commands, the simulator, e-mail).
for module_name, attr, name, help_text in (
    ("ladeportal.cli.ocpp_cli", "register", None, None),
    ("ladeportal.simulator.cli", "app", "simulate", "Simulated OCPP 1.6 chargers for demos and tests."),
    ("ladeportal.cli.spot_price_commands", "app", "spot-prices", "Day-ahead spot prices: fetch or import past days."),
    ("ladeportal.cli.email_cli", "app", "email", "E-mail: check the settings with a test e-mail."),
    ("ladeportal.cli.stripe_standin_cli", "register", None, None),
    ("ladeportal.cli.billing_cli", "app", "payments", "Payments: owners' Stripe accounts and switch dates."),
    ("ladeportal.cli.invoicing_cli", "app", "invoicing", "Invoicing: preview and approve a month's run, export it."),
    ("ladeportal.reports.cli", "app", "reports", "Reports: rebuild the usage and revenue aggregates."),
):
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is None or not module_name.startswith(exc.name):
            raise
        continue
    target = getattr(module, attr)
    if name is None:
        target(app)
    else:
        app.add_typer(target, name=name, help=help_text)


if __name__ == "__main__":
    app()
