"""`ladeportal email test`: an operator checks the settings, queued for the worker or sent at once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from ladeportal.db.engine import Database
from ladeportal.jobs.models import OutboxTask
from ladeportal.messaging.email_models import DeliveryState, EmailDelivery
from tests.messaging.email_channel.smtp_server import FROM_ADDRESS, Certificate, SmtpServer


def _cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ladeportal.cli.main", "email", "test", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        cwd=cwd,
        timeout=120,
        check=False,
    )


def _smtp_env(server: SmtpServer, certificate: Certificate, database_url: str) -> dict[str, str]:
    return {
        "LADEPORTAL_DATABASE_URL": database_url,
        "LADEPORTAL_EMAIL_PROVIDER": "smtp",
        "LADEPORTAL_SMTP_HOST": "127.0.0.1",
        "LADEPORTAL_SMTP_PORT": str(server.port),
        "LADEPORTAL_SMTP_SECURITY": server.security,
        "LADEPORTAL_SMTP_CA_FILE": str(certificate.cert),
        "LADEPORTAL_EMAIL_FROM_ADDRESS": FROM_ADDRESS,
    }


@pytest.mark.slow
async def test_the_test_email_is_sent_at_once_or_queued_for_the_worker(
    db: Database,
    database_url: str,
    smtp_server: Callable[[str], SmtpServer],
    certificate: Certificate,
    tmp_path: Path,
) -> None:
    server = smtp_server("tls")
    env = _smtp_env(server, certificate, database_url)

    now = _cli("--to", "drift@solbakken.example", "--language", "en", "--now", "--json", env=env, cwd=tmp_path)
    assert now.returncode == 0, now.stderr
    assert json.loads(now.stdout)["answer"].startswith("2.0.0 Ok")
    [received] = server.received
    assert received.rcpt_tos == ["drift@solbakken.example"]
    assert received.message["Subject"] == "Test e-mail from Ladeportal"

    queued = _cli("--to", "drift@solbakken.example", "--json", env=env, cwd=tmp_path)
    assert queued.returncode == 0, queued.stderr
    delivery_id = json.loads(queued.stdout)["delivery_id"]
    async with db.session() as session:
        delivery = await session.get(EmailDelivery, delivery_id)
        tasks = (await session.scalars(select(OutboxTask))).all()
    assert delivery is not None and delivery.state == DeliveryState.queued and delivery.language == "nb"
    assert [t.payload["delivery_id"] for t in tasks] == [delivery_id]


@pytest.mark.slow
def test_refusals_and_bad_input_are_reported_with_an_exit_status(
    smtp_server: Callable[[str], SmtpServer],
    certificate: Certificate,
    database_url: str,
    tmp_path: Path,
) -> None:
    server = smtp_server("none")
    server.handler.rcpt_answers["gone@solbakken.example"] = ["550 5.1.1 no such user"]
    env = _smtp_env(server, certificate, database_url)

    refused = _cli("--to", "gone@solbakken.example", "--now", env=env, cwd=tmp_path)
    assert refused.returncode == 1 and "550 5.1.1 no such user" in refused.stderr

    malformed = _cli("--to", "drift", "--now", env=env, cwd=tmp_path)
    assert malformed.returncode == 1 and "drift" in malformed.stderr

    switched_off = _cli(
        "--to", "drift@solbakken.example", env={**env, "LADEPORTAL_EMAIL_PROVIDER": "none"}, cwd=tmp_path
    )
    assert switched_off.returncode == 1 and "LADEPORTAL_EMAIL_PROVIDER" in switched_off.stderr
