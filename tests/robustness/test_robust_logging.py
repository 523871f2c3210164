"""The log configuration: JSON in production, no locals, secrets redacted, records capped, and a
writer that never holds up the caller."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

import structlog

from ladeportal import logging_setup
from ladeportal.log_redaction import MAX_EXCEPTION_CHARS, MAX_MESSAGE_CHARS
from ladeportal.logging_setup import configure_logging, stop_logging
from ladeportal.settings import load_settings
from tests.robustness.conftest import LogSetup

PRODUCTION: dict[str, Any] = {
    "mode": "production",
    "secret_key": "k" * 48,
    "sms_provider": "http",
    "sms_api_token": "t" * 32,
    "email_provider": "none",
}


def test_production_logs_json_unless_told_otherwise() -> None:
    assert load_settings(**PRODUCTION).log_format == "json"
    assert load_settings(**PRODUCTION, log_format="console").log_format == "console"
    assert load_settings().log_format == "console"


def _records(path: Path) -> list[dict[str, Any]]:
    stop_logging()
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_secrets_are_redacted_wherever_they_appear(app_logging: LogSetup) -> None:
    path = app_logging("json")
    token = "lp_1234abcd_" + "Q" * 43
    structlog.get_logger("api").info(
        "request",
        headers={"authorization": f"Bearer {token}", "cookie": "lp_session=abc; lp_lang=nb", "accept": "text/html"},
        url=f"/api/v1/orgs?token={token}&page=2",
        password="hunter2",
    )
    try:
        raise ValueError(f"refused Authorization: Basic dXNlcjpwYXNz, cookie lp_session=s3cret, {token}")
    except ValueError:
        logging.getLogger("web").exception("failed with %s", token)
    api, web = _records(path)
    assert api["headers"] == {"authorization": "[REDACTED]", "cookie": "[REDACTED]", "accept": "text/html"}
    assert api["url"] == "/api/v1/orgs?token=[REDACTED]&page=2" and api["password"] == "[REDACTED]"
    assert web["event"] == "failed with lp_1234abcd_[REDACTED]"
    assert web["exception"][0]["exc_value"] == (
        "refused Authorization: Basic [REDACTED], cookie lp_session=[REDACTED], lp_1234abcd_[REDACTED]"
    )
    assert "QQQQ" not in path.read_text(encoding="utf-8")


def test_a_record_is_capped_and_tracebacks_carry_no_locals(app_logging: LogSetup) -> None:
    path = app_logging("console")
    huge = "m" * 5_000_000

    def deep(n: int) -> None:
        local_secret = "LOCAL-VALUE-" + "v" * 100  # noqa: F841 - a local a locals renderer would print
        if n:
            deep(n - 1)
        raise RuntimeError("e" * 5_000_000)

    try:
        deep(200)
    except RuntimeError:
        logging.getLogger("x").exception(huge)
    stop_logging()
    text = path.read_text(encoding="utf-8")
    assert len(text) < MAX_MESSAGE_CHARS + MAX_EXCEPTION_CHARS + 1000
    assert "Traceback (most recent call last)" in text and "characters left out" in text
    assert "LOCAL-VALUE" not in text


class BlockedStream:
    """A log destination that does not take writes until released (a full pipe, a stuck terminal)."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.lines: list[str] = []

    def write(self, text: str) -> int:
        self.release.wait(30)
        self.lines.append(text)
        return len(text)

    def flush(self) -> None:
        pass


def test_a_stuck_log_destination_does_not_hold_up_the_caller(monkeypatch: Any, app_logging: LogSetup) -> None:
    app_logging("json")  # restores the root logger afterwards
    monkeypatch.setattr(logging_setup, "QUEUE_SIZE", 50)
    stream = BlockedStream()
    configure_logging("json", "INFO", stream=stream)  # type: ignore[arg-type]
    finished = threading.Event()

    def log_a_lot() -> None:
        for n in range(200):
            logging.getLogger("busy").warning("record %d", n)
        finished.set()

    caller = threading.Thread(target=log_a_lot, daemon=True)
    caller.start()
    returned = finished.wait(10)  # a failsafe; a blocking handler never returns while the stream is stuck
    stream.release.set()
    caller.join(10)
    stop_logging()
    assert returned
    records = [json.loads(line) for line in stream.lines]
    assert records[0]["event"] == "record 0"
    dropped = [r for r in records if r["event"].startswith("dropped")]
    assert dropped and len(records) < 200  # what did not fit was counted, not waited for
