"""OutboxTask and PeriodicJobRun tables."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ladeportal.db.base import Base, utcnow


class TaskState(enum.StrEnum):
    pending = "pending"
    running = "running"
    done = "done"
    failed = "failed"


class OutboxTask(Base):
    """A side effect (an SMS, an e-mail, a Stripe call) written in the same transaction as its cause."""

    __tablename__ = "outbox_tasks"
    __table_args__ = (Index("ix_outbox_tasks_due", "state", "run_after"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(60))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Enqueueing twice with the same key is a no-op: a retried request cannot send two SMS.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    state: Mapped[TaskState] = mapped_column(Enum(TaskState, native_enum=False, length=16), default=TaskState.pending)
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=8)
    run_after: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    lease_until: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()


class PeriodicJobRun(Base):
    """When each periodic job is next due; claimed with compare-and-set so one process runs it."""

    __tablename__ = "periodic_job_runs"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    next_run_at: Mapped[datetime] = mapped_column()
    last_started_at: Mapped[datetime | None] = mapped_column()
    last_finished_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
