"""queue_email: the address is checked, the e-mail rendered and recorded in the caller's transaction,
once per dedupe key, nowhere when e-mail is switched off; records are read per organisation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.base import utcnow
from ladeportal.db.engine import Database, unit_of_work
from ladeportal.errors import ValidationFailed
from ladeportal.jobs.models import OutboxTask, TaskState
from ladeportal.jobs.outbox import enqueue, run_due_tasks
from ladeportal.jobs.periodic import registered_jobs
from ladeportal.messaging import email
from ladeportal.messaging.email_console import ConsoleEmailProvider
from ladeportal.messaging.email_deliveries import deliveries_for_org, purge_finished_deliveries
from ladeportal.messaging.email_models import DeliveryState, EmailDelivery
from ladeportal.messaging.email_queue import queue_email
from ladeportal.messaging.queue import EMAIL_TASK
from tests.factories import make_org


async def _counts(session: AsyncSession) -> tuple[int, int]:
    deliveries = await session.scalar(select(func.count()).select_from(EmailDelivery))
    tasks = await session.scalar(select(func.count()).select_from(OutboxTask))
    return int(deliveries or 0), int(tasks or 0)


@pytest.mark.parametrize(
    "address",
    [
        "",
        "kari",
        "kari@",
        "@solbakken.no",
        "kari@solbakken",
        "Kari <kari@solbakken.no>",
        "kari@solbakken.no\nBcc: x@y.no",
        "kari @solbakken.no",
        "kari(x)@solbakken.no",
        "a@b@solbakken.no",
        "kari@[127.0.0.1]",
        "k" * 250 + "@x.no",
    ],
)
async def test_a_malformed_address_is_refused_and_nothing_is_queued(
    session: AsyncSession, configure: Callable[..., None], address: str
) -> None:
    configure(email_provider="console")
    with pytest.raises(ValidationFailed) as refused:
        await queue_email(session, address, "test", "nb", {})
    assert refused.value.field == "to"
    assert await _counts(session) == (0, 0)


async def test_the_address_is_stored_trimmed_and_with_an_ascii_domain(
    session: AsyncSession, configure: Callable[..., None]
) -> None:
    configure(email_provider="console")
    delivery_id = await queue_email(session, "  kari@blåbær.no ", "test", "en", {})
    delivery = await session.get(EmailDelivery, delivery_id)
    assert delivery is not None and delivery.recipient == "kari@xn--blbr-roah.no"
    assert delivery.subject == "Test e-mail from Ladeportal" and delivery.language == "en"


@pytest.mark.parametrize(
    ("template", "language", "field"),
    [
        ("no_such_template", "nb", "template"),
        ("../nb/test", "nb", "template"),
        ("test", "de", "language"),
    ],
)
async def test_an_unknown_template_or_language_is_refused(
    session: AsyncSession, configure: Callable[..., None], template: str, language: str, field: str
) -> None:
    configure(email_provider="console")
    with pytest.raises(ValidationFailed) as refused:
        await queue_email(session, "kari@solbakken.no", template, language, {})
    assert refused.value.field == field
    assert await _counts(session) == (0, 0)


async def test_queueing_is_part_of_the_callers_transaction(db: Database, configure: Callable[..., None]) -> None:
    configure(email_provider="console")
    async with db.session() as session:
        await queue_email(session, "kari@solbakken.no", "test", "nb", {})
        await session.rollback()
        assert await _counts(session) == (0, 0)


async def test_a_dedupe_key_queues_one_email(db: Database, configure: Callable[..., None]) -> None:
    configure(email_provider="console")
    async with db.session() as session, unit_of_work(session):
        first = await queue_email(session, "kari@solbakken.no", "test", "nb", {}, dedupe_key="invite:1")
        again = await queue_email(session, "kari@solbakken.no", "test", "nb", {}, dedupe_key="invite:1")
    async with db.session() as session:
        assert first is not None and again is None
        assert await _counts(session) == (1, 1)


async def test_nothing_is_queued_when_email_is_switched_off(
    session: AsyncSession, configure: Callable[..., None]
) -> None:
    configure(email_provider="none")
    assert await queue_email(session, "kari@solbakken.no", "test", "nb", {}) is None
    assert await _counts(session) == (0, 0)
    with pytest.raises(ValidationFailed):  # the address is still checked: the caller's bug shows either way
        await queue_email(session, "kari", "test", "nb", {})


async def test_an_email_queued_before_email_was_switched_off_fails_with_the_reason(
    db: Database, configure: Callable[..., None]
) -> None:
    configure(email_provider="console")
    async with db.session() as session, unit_of_work(session):
        delivery_id = await queue_email(session, "kari@solbakken.no", "test", "nb", {})
    configure(email_provider="none")
    await run_due_tasks(db, "w")
    async with db.session() as session:
        delivery = await session.get(EmailDelivery, delivery_id)
        task = await session.scalar(select(OutboxTask))
    assert delivery is not None and delivery.state == DeliveryState.failed
    assert "LADEPORTAL_EMAIL_PROVIDER=none" in (delivery.error or "")
    assert task is not None and task.state == TaskState.failed


async def test_the_console_provider_prints_the_text_only_in_dev_mode(
    db: Database, configure: Callable[..., None], capsys: pytest.CaptureFixture[str]
) -> None:
    configure(email_provider="console")  # the tests run in mode "test"
    async with db.session() as session, unit_of_work(session):
        await queue_email(session, "kari@solbakken.no", "test", "nb", {"name": "Kari"})
    await run_due_tasks(db, "w")
    printed = capsys.readouterr().err
    assert "@solbakken.no (test)" in printed and "kari@" not in printed and "Hei Kari" not in printed
    assert ConsoleEmailProvider.shared().sent[-1].to == "kari@solbakken.no"

    shown = ConsoleEmailProvider(show_text=True)
    await shown.send(ConsoleEmailProvider.shared().sent[-1])
    assert "Hei Kari" in capsys.readouterr().err


async def test_a_task_that_is_not_a_queued_email_fails_for_good(db: Database) -> None:
    async with db.session() as session, unit_of_work(session):
        await enqueue(session, EMAIL_TASK, {"to": "kari@solbakken.no", "subject": "Hei", "text": "Hei"})
    await run_due_tasks(db, "w")
    async with db.session() as session:
        task = await session.scalar(select(OutboxTask))
    assert task is not None and task.state == TaskState.failed and "queue_email" in (task.last_error or "")


async def test_an_email_already_sent_is_not_sent_again_when_its_task_runs_again(
    db: Database, configure: Callable[..., None]
) -> None:
    configure(email_provider="console")
    sent: list[email.OutgoingEmail] = []

    class Recording:
        name = "recording"

        async def send(self, message: email.OutgoingEmail) -> str:
            sent.append(message)
            return "250 ok"

    email.set_provider(Recording())
    async with db.session() as session, unit_of_work(session):
        await queue_email(session, "kari@solbakken.no", "test", "nb", {})
    await run_due_tasks(db, "w")
    # A worker that died after recording the delivery but before finishing the task: it runs again.
    async with db.session() as session, unit_of_work(session):
        await session.execute(update(OutboxTask).values(state=TaskState.pending, run_after=utcnow()))
    await run_due_tasks(db, "w")
    assert len(sent) == 1


async def test_each_organisation_reads_only_its_own_deliveries(
    session: AsyncSession, configure: Callable[..., None]
) -> None:
    configure(email_provider="console")
    solbakken, other = await make_org(session), await make_org(session)
    async with unit_of_work(session):
        await queue_email(session, "kari@solbakken.no", "test", "nb", {}, organization_id=solbakken.id)
        await queue_email(session, "per@solbakken.no", "test", "en", {}, organization_id=solbakken.id)
        await queue_email(session, "ola@andre.no", "test", "nb", {}, organization_id=other.id)
        await queue_email(session, "drift@ladeportal.no", "test", "nb", {})
    mine = await deliveries_for_org(session, solbakken.id)
    assert sorted(d.recipient for d in mine) == ["kari@solbakken.no", "per@solbakken.no"]
    assert [d.recipient for d in await deliveries_for_org(session, other.id)] == ["ola@andre.no"]


async def test_finished_deliveries_are_purged_after_the_retention_period(
    session: AsyncSession, configure: Callable[..., None]
) -> None:
    configure(email_provider="console")
    async with unit_of_work(session):
        ids = [await queue_email(session, f"p{i}@solbakken.no", "test", "nb", {}) for i in range(3)]
    now = utcnow()
    async with unit_of_work(session):
        await session.execute(
            update(EmailDelivery)
            .where(EmailDelivery.id == ids[0])
            .values(state=DeliveryState.sent, finished_at=now - timedelta(days=31))
        )
        await session.execute(
            update(EmailDelivery)
            .where(EmailDelivery.id == ids[1])
            .values(state=DeliveryState.failed, finished_at=now - timedelta(days=29))
        )
    assert await purge_finished_deliveries(session, timedelta(days=30), now=now) == 1
    left = (await session.scalars(select(EmailDelivery.id).order_by(EmailDelivery.id))).all()
    assert left == ids[1:]  # the newer failure and the queued one (never purged, whatever its age)
    assert "messaging.purge_email_deliveries" in {job.name for job in registered_jobs()}
