"""State kept across restarts in a JSON file, and the `ladeportal stripe-standin` command."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import stripe

from ladeportal.stripe_standin.server import StandinServer
from tests.stripe_standin.conftest import config, new_account, sdk_client


def _eventually(check: object, within: float = 15.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return True
        time.sleep(0.02)
    return False


def test_state_survives_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "standin.json"
    with StandinServer(config(state_file=state)) as standin:
        client = sdk_client(standin)
        account = new_account(client, metadata={"org_id": "org-1"})
        link = client.v1.account_links.create(
            {
                "account": account.id,
                "type": "account_onboarding",
                "refresh_url": "https://p.test/refresh",
                "return_url": "https://p.test/return",
            }
        )
        httpx.get(link.url)  # uses the link
        standin.advance_time(3600)
        # Written by the state thread while the server runs, not only at stop.
        assert _eventually(lambda: state.exists() and account.id in state.read_text())
        clock_before = standin.now()
        events_before = standin.events()

    with StandinServer(config(state_file=state)) as restarted:
        client = sdk_client(restarted)
        again = client.v1.accounts.retrieve(account.id)
        assert again.metadata.to_dict() == {"org_id": "org-1"}
        assert restarted.now() >= clock_before
        assert restarted.events() == events_before
        reused = httpx.get(link.url.replace(standin.url, restarted.url), follow_redirects=False)
        assert (reused.status_code, reused.headers["location"]) == (302, "https://p.test/refresh")


def test_a_broken_state_file_stops_the_start(tmp_path: Path) -> None:
    state = tmp_path / "standin.json"
    state.write_text("[1, 2]")
    server = StandinServer(config(state_file=state))
    try:
        server.start()
    except ValueError as exc:
        assert "state" in str(exc)
    else:
        server.stop()
        raise AssertionError("a broken state file was accepted")
    assert state.read_text() == "[1, 2]"


def test_the_command_serves_until_stopped(tmp_path: Path) -> None:
    state = tmp_path / "standin.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "ladeportal.cli.main", "stripe-standin", "--port", "0", "--state-file", str(state)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        url = line.split(" on ")[1].split()[0]
        client = stripe.StripeClient(
            "sk_test_cli",
            base_addresses={"api": url},
            http_client=stripe.HTTPXClient(allow_sync_methods=True),
        )
        account = client.v1.accounts.create({"type": "express"})
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    assert account.id in json.loads(state.read_text())["accounts"]


def test_the_command_refuses_a_webhook_url_that_is_not_one() -> None:
    finished = subprocess.run(
        [sys.executable, "-m", "ladeportal.cli.main", "stripe-standin", "--port", "0", "--webhook-url", "nope"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode == 1
    assert "webhook_url 'nope' is not an http(s) URL" in finished.stderr


def test_invoices_survive_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "standin.json"
    with StandinServer(config(state_file=state)) as standin:
        client = sdk_client(standin)
        customer = client.v1.customers.create({"email": "kari@example.no"})
        invoice = client.v1.invoices.create(
            {"customer": customer.id, "collection_method": "send_invoice", "days_until_due": 14}
        )
        client.v1.invoice_items.create(
            {"customer": customer.id, "invoice": invoice.id, "amount": 1000, "currency": "nok"}
        )
        final = client.v1.invoices.finalize_invoice(invoice.id)

    with StandinServer(config(state_file=state)) as restarted:
        client = sdk_client(restarted)
        again = client.v1.invoices.retrieve(invoice.id)
        assert (again.status, again.amount_due, again.number) == ("open", 1000, final.number)
        page = httpx.get(str(final.hosted_invoice_url).replace(standin.url, restarted.url))
        assert page.status_code == 200 and "10.00 NOK" in page.text
        assert restarted.pay_invoice(invoice.id)["status"] == "succeeded"
        assert client.v1.invoices.retrieve(invoice.id).status == "paid"
