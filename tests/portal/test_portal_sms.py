"""The SMS seam: the outbox handler, the console provider, and Sveve over HTTP against a stand-in."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import delete

from ladeportal.db.engine import Database, unit_of_work
from ladeportal.jobs.models import OutboxTask, TaskState
from ladeportal.jobs.outbox import run_due_tasks
from ladeportal.messaging import sms
from ladeportal.messaging.queue import queue_sms
from ladeportal.messaging.sms_console import ConsoleProvider
from ladeportal.messaging.sms_sveve import SveveProvider
from ladeportal.settings import load_settings


class StandIn(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []  # noqa: RUF012
    answers: list[tuple[int, dict[str, Any]]] = []  # noqa: RUF012

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        StandIn.received.append({"path": self.path, **body})
        status, answer = StandIn.answers.pop(0)
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def sveve() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    StandIn.received, StandIn.answers = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


async def _queue(db: Database) -> None:
    async with db.session() as session, unit_of_work(session):
        await queue_sms(session, "+4791234567", "Din kode er 123456", purpose="login_code")


async def _task(db: Database) -> OutboxTask:
    async with db.session() as session:
        from sqlalchemy import select

        task = await session.scalar(select(OutboxTask))
        assert task is not None
        return task


async def test_the_console_provider_prints_the_text_only_in_dev_mode(
    db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    """`make run` signs in with the code printed on the console; any other mode keeps codes out of logs."""
    for mode, shown in (("dev", True), ("test", False)):
        console = sms.provider_for(load_settings(mode=mode))
        assert isinstance(console, ConsoleProvider)
        sms.set_provider(console)
        try:
            await _queue(db)
            assert await run_due_tasks(db, "test") == 1
        finally:
            sms.set_provider(None)
        assert console.sent[-1].text == "Din kode er 123456"
        printed = capsys.readouterr().err
        assert ("123456" in printed) is shown and ("+4791234567" in printed) is shown
        assert (await _task(db)).state == TaskState.done
        async with db.session() as session, unit_of_work(session):
            await session.execute(delete(OutboxTask))


async def test_sveve_over_http_and_an_outage_loses_nothing(db: Database, sveve: str) -> None:
    sms.set_provider(SveveProvider(sveve, "user", "secret"))
    try:
        await _queue(db)
        StandIn.answers.append((503, {}))
        await run_due_tasks(db, "test")
        task = await _task(db)
        assert task.state == TaskState.pending and "503" in (task.last_error or "")
        async with db.session() as session, unit_of_work(session):
            from sqlalchemy import update

            await session.execute(update(OutboxTask).values(run_after=task.created_at))
        StandIn.answers.append((200, {"response": {"msgOkCount": 1, "stdSMSCount": 1, "ids": [4711]}}))
        await run_due_tasks(db, "test")
    finally:
        sms.set_provider(None)
    assert (await _task(db)).state == TaskState.done
    sent = StandIn.received[-1]
    assert sent["path"] == "/SMS/SendMessage"
    assert sent["to"] == "4791234567" and sent["msg"] == "Din kode er 123456" and sent["f"] == "json"
    assert sent["ref"].startswith("outbox-") and sent["user"] == "user" and sent["passwd"] == "secret"


async def test_a_refused_number_fails_for_good(db: Database, sveve: str) -> None:
    sms.set_provider(SveveProvider(sveve, "user", "secret"))
    try:
        await _queue(db)
        refusal = {"response": {"msgOkCount": 0, "errors": [{"number": "x", "message": "Ugyldig nummer"}]}}
        StandIn.answers.append((200, refusal))
        await run_due_tasks(db, "test")
    finally:
        sms.set_provider(None)
    task = await _task(db)
    assert task.state == TaskState.failed and "Ugyldig nummer" in (task.last_error or "")
