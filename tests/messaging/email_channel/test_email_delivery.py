"""E-mail end to end: queued in a transaction, sent by the outbox worker over real SMTP (plain,
STARTTLS with login, implicit TLS), and what the mail server answered kept on the delivery record."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update

from ladeportal.db.base import utcnow
from ladeportal.db.engine import Database, unit_of_work
from ladeportal.jobs.models import OutboxTask, TaskState
from ladeportal.jobs.outbox import run_due_tasks
from ladeportal.messaging import email  # noqa: F401  (registers the "email.send" handler)
from ladeportal.messaging.email_models import DeliveryState, EmailDelivery
from ladeportal.messaging.email_queue import queue_email
from tests.messaging.email_channel.smtp_server import FROM_ADDRESS, SmtpServer, free_port

Start = Callable[..., SmtpServer]


async def _queue(db: Database, to: str = "kari@solbakken.example", **context: object) -> int:
    async with db.session() as session, unit_of_work(session):
        delivery_id = await queue_email(session, to, "test", "nb", context)
    assert delivery_id is not None
    return delivery_id


async def _delivery(db: Database, delivery_id: int) -> EmailDelivery:
    async with db.session() as session:
        delivery = await session.get(EmailDelivery, delivery_id)
    assert delivery is not None
    return delivery


async def _task(db: Database) -> OutboxTask:
    async with db.session() as session:
        task = await session.scalar(select(OutboxTask))
    assert task is not None
    return task


async def _make_due(db: Database) -> None:
    async with db.session() as session, unit_of_work(session):
        await session.execute(update(OutboxTask).values(run_after=utcnow() - timedelta(seconds=1)))


async def test_an_email_arrives_with_both_parts_a_utf8_subject_and_escaped_names(
    db: Database, smtp_server: Start, use_server: Callable[..., None]
) -> None:
    server = smtp_server("none")
    use_server(server)
    delivery_id = await _queue(db, name="Kari <Nordmann> & Co", organization_name="Lading på Solbakken")

    assert server.received == []  # nothing leaves before the worker runs
    assert await run_due_tasks(db, "w") == 1

    [received] = server.received
    assert received.mail_from == FROM_ADDRESS and received.rcpt_tos == ["kari@solbakken.example"]
    message = received.message
    assert message["Subject"] == "Test av e-post fra Lading på Solbakken"
    assert received.raw_header("Subject").isascii() and "=?utf-8?" in received.raw_header("Subject").lower()
    assert message["From"].addresses[0].display_name == "Solbakken Borettslag"
    assert message["From"].addresses[0].addr_spec == FROM_ADDRESS
    assert message["To"].addresses[0].addr_spec == "kari@solbakken.example"
    assert message["Message-ID"].endswith("@solbakken.example>")
    assert message["Auto-Submitted"] == "auto-generated" and message["Content-Language"] == "nb"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    assert "Hei Kari <Nordmann> & Co," in text.get_content()
    assert "Lading på Solbakken" in text.get_content()
    html_content = html.get_content()
    assert "Kari &lt;Nordmann&gt; &amp; Co" in html_content and "<Nordmann>" not in html_content
    assert '<html lang="nb">' in html_content

    delivery = await _delivery(db, delivery_id)
    assert delivery.state == DeliveryState.sent and delivery.attempts == 1 and delivery.error is None
    assert delivery.finished_at is not None
    assert (await _task(db)).state == TaskState.done


async def test_starttls_is_required_and_the_password_comes_from_a_file(
    db: Database, smtp_server: Start, use_server: Callable[..., None], tmp_path: Path
) -> None:
    server = smtp_server("starttls")
    server.handler.logins["solbakken"] = "s3cret pass"
    secret = tmp_path / "smtp-password"
    secret.write_text("s3cret pass\n")
    use_server(server, smtp_username="solbakken", smtp_password_file=secret)
    delivery_id = await _queue(db)

    await run_due_tasks(db, "w")

    [received] = server.received
    assert received.tls and received.login == "solbakken"
    assert (await _delivery(db, delivery_id)).state == DeliveryState.sent


async def test_implicit_tls(db: Database, smtp_server: Start, use_server: Callable[..., None]) -> None:
    server = smtp_server("tls")
    use_server(server)
    delivery_id = await _queue(db)

    await run_due_tasks(db, "w")

    [received] = server.received
    assert received.tls
    assert (await _delivery(db, delivery_id)).state == DeliveryState.sent


async def test_a_certificate_nobody_vouches_for_is_not_trusted(
    db: Database, smtp_server: Start, use_server: Callable[..., None], configure: Callable[..., None]
) -> None:
    server = smtp_server("starttls")
    use_server(server)
    configure(smtp_ca_file="")  # back to the system's CAs, which never signed the test certificate
    delivery_id = await _queue(db)

    await run_due_tasks(db, "w")

    assert server.received == []
    delivery = await _delivery(db, delivery_id)
    assert delivery.state == DeliveryState.queued and "certificate" in (delivery.error or "").lower()


async def test_a_permanent_refusal_fails_the_delivery_without_retrying(
    db: Database, smtp_server: Start, use_server: Callable[..., None]
) -> None:
    server = smtp_server("none")
    server.handler.rcpt_answers["gone@solbakken.example"] = ["550 5.1.1 <gone@solbakken.example>: no such user"]
    use_server(server)
    delivery_id = await _queue(db, to="gone@solbakken.example")

    await run_due_tasks(db, "w")

    delivery = await _delivery(db, delivery_id)
    assert delivery.state == DeliveryState.failed and delivery.attempts == 1
    assert delivery.error == "550 5.1.1 <gone@solbakken.example>: no such user"
    assert (await _task(db)).state == TaskState.failed
    await _make_due(db)
    assert await run_due_tasks(db, "w") == 0
    assert server.received == []


async def test_a_temporary_refusal_is_retried_with_backoff_and_then_sent(
    db: Database, smtp_server: Start, use_server: Callable[..., None]
) -> None:
    server = smtp_server("none")
    server.handler.rcpt_answers["kari@solbakken.example"] = ["451 4.7.1 greylisted, try again later"]
    use_server(server)
    delivery_id = await _queue(db)

    await run_due_tasks(db, "w")

    delivery = await _delivery(db, delivery_id)
    assert delivery.state == DeliveryState.queued and delivery.attempts == 1
    assert delivery.error == "451 4.7.1 greylisted, try again later"
    task = await _task(db)
    assert task.state == TaskState.pending and delivery.last_attempt_at is not None
    assert task.run_after - delivery.last_attempt_at >= timedelta(seconds=10)  # the outbox's first back-off

    await _make_due(db)
    await run_due_tasks(db, "w")

    assert len(server.received) == 1
    delivery = await _delivery(db, delivery_id)
    assert delivery.state == DeliveryState.sent and delivery.attempts == 2 and delivery.error is None


async def test_a_server_that_cannot_be_reached_is_retried_until_it_can(
    db: Database, smtp_server: Start, use_server: Callable[..., None], configure: Callable[..., None]
) -> None:
    server = smtp_server("none")
    use_server(server)
    configure(smtp_port=free_port())  # nothing listens there: connection refused
    delivery_id = await _queue(db)

    await run_due_tasks(db, "w")

    delivery = await _delivery(db, delivery_id)
    assert delivery.state == DeliveryState.queued and delivery.error
    assert (await _task(db)).state == TaskState.pending

    configure(smtp_port=server.port)
    await _make_due(db)
    await run_due_tasks(db, "w")

    assert len(server.received) == 1
    assert (await _delivery(db, delivery_id)).state == DeliveryState.sent


async def test_the_last_attempt_of_a_temporary_failure_fails_the_delivery(
    db: Database, smtp_server: Start, use_server: Callable[..., None]
) -> None:
    server = smtp_server("none")
    server.handler.rcpt_answers["kari@solbakken.example"] = ["452 4.2.2 mailbox full"]
    use_server(server, outbox_max_attempts=1)
    delivery_id = await _queue(db)

    await run_due_tasks(db, "w")

    delivery = await _delivery(db, delivery_id)
    assert delivery.state == DeliveryState.failed and delivery.error == "452 4.2.2 mailbox full"
    assert (await _task(db)).state == TaskState.failed
