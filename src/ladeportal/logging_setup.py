"""Structured logs: JSON lines in production, readable lines in development (structlog).

Three properties matter more than the format:

- Logging never blocks the event loop. Records go into a bounded in-memory queue; one thread
  (`QueueListener`) renders and writes them. The portal, the API and the OCPP gateway share one loop,
  so a slow terminal, a full pipe or a long traceback must not stall every charger.
- Tracebacks never include local variables. Rendering locals (rich / better-exceptions, structlog's
  default when rich is installed) calls `repr()` on whatever a frame holds: an uploaded file, a
  million rows, a request with its Authorization header. That took tens of seconds and put secrets
  into the log.
- Secrets are redacted (`log_redaction.redact_secrets`) and every record is size-capped before rendering.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import logging.handlers
import queue
import sys
from typing import TextIO

import structlog
from structlog.tracebacks import ExceptionDictTransformer

from ladeportal.log_redaction import cap_sizes, redact_secrets

QUEUE_SIZE = 10_000
MAX_FRAMES = 30
_listener: logging.handlers.QueueListener | None = None


class _DeferredQueueHandler(logging.handlers.QueueHandler):
    """Hands the record to the listener thread unformatted: formatting a traceback is the expensive
    part, and the stock QueueHandler does it in the caller's thread (here: the event loop)."""

    def __init__(self, q: queue.Queue[logging.LogRecord]) -> None:
        super().__init__(q)
        self.records = q
        self.dropped = 0

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        return record

    def enqueue(self, record: logging.LogRecord) -> None:
        try:
            self.records.put_nowait(record)
        except queue.Full:
            # Dropping a record is better than stopping the loop until the writer catches up.
            self.dropped += 1
            return
        if self.dropped:
            self.report_dropped(wait=False)

    def report_dropped(self, *, wait: bool) -> None:
        lost, self.dropped = self.dropped, 0
        if not lost:
            return
        warning = logging.LogRecord(
            __name__, logging.WARNING, __file__, 0, "dropped %d log records (queue full)", (lost,), None
        )
        try:
            self.records.put(warning, block=wait, timeout=1 if wait else None)
        except queue.Full:
            self.dropped += lost


class _Listener(logging.handlers.QueueListener):
    """Stops without failing when the queue is full (the writer is still catching up) and without
    hanging the process when the destination is stuck for good (the writer is a daemon thread)."""

    def stop(self) -> None:
        thread = self._thread
        if thread is None:
            return
        records: queue.Queue[object] = self.queue  # type: ignore[assignment]
        try:
            records.put(getattr(self, "_sentinel", None), timeout=5)
        except queue.Full:
            self._thread = None
            return
        thread.join(5)
        self._thread = None


class AlreadyLogged(logging.Filter):
    """Drops uvicorn's "Exception in ASGI application" for an error our handler has logged already
    (Starlette re-raises it after the 500 is sent), so each failure costs one traceback, not two."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not getattr(exc, "__ladeportal_logged__", False)


def mark_logged(exc: BaseException) -> None:
    # An exception with __slots__ cannot carry the mark; it is then logged twice.
    with contextlib.suppress(AttributeError):
        exc.__ladeportal_logged__ = True  # type: ignore[attr-defined]


def _renderer(fmt: str) -> list[structlog.types.Processor]:
    if fmt == "json":
        dict_tracebacks = structlog.processors.ExceptionRenderer(
            ExceptionDictTransformer(show_locals=False, max_frames=MAX_FRAMES)
        )
        return [dict_tracebacks, redact_secrets, cap_sizes, structlog.processors.JSONRenderer()]
    # Plain text tracebacks: format_exc_info renders them (without locals) before the redaction and
    # the cap see them; the console renderer then prints the finished text.
    return [
        structlog.processors.format_exc_info,
        redact_secrets,
        cap_sizes,
        structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback),
    ]


def configure_logging(fmt: str = "console", level: str = "INFO", *, stream: TextIO | None = None) -> None:
    """Route the standard library's and structlog's records through one queue to `stream`."""
    global _listener
    stop_logging()
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )
    writer = logging.StreamHandler(stream or sys.stderr)
    writer.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *_renderer(fmt)],
        )
    )
    records: queue.Queue[logging.LogRecord] = queue.Queue(QUEUE_SIZE)
    handler = _DeferredQueueHandler(records)
    handler.addFilter(AlreadyLogged())
    _listener = _Listener(records, writer, respect_handler_level=False)
    _listener.start()
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("uvicorn.access", "aiosqlite", "websockets.server"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))


def stop_logging() -> None:
    """Write out what is queued and stop the writer thread (at exit, or before configuring again)."""
    global _listener
    if _listener is not None:
        listener, _listener = _listener, None
        for handler in logging.getLogger().handlers:
            if isinstance(handler, _DeferredQueueHandler):
                handler.report_dropped(wait=True)
        listener.stop()


atexit.register(stop_logging)
