"""Fixtures for the robustness tests: the production logging set up for one test and put back after."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import structlog

from ladeportal.logging_setup import configure_logging, stop_logging
from tests.portal.conftest import app, two_orgs  # noqa: F401 - the portal's fixtures, for the form tests

LogSetup = Callable[[str], Path]


@pytest.fixture
def app_logging(tmp_path: Path) -> Iterator[LogSetup]:
    """configure_logging(fmt) writing to a file; returns the file. The root logger's handlers (pytest's
    capture among them) and structlog's defaults are restored afterwards."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    streams = []

    def setup(fmt: str) -> Path:
        path = tmp_path / f"app-{fmt}.log"
        stream = path.open("w", encoding="utf-8")
        streams.append(stream)
        configure_logging(fmt, "INFO", stream=stream)
        return path

    try:
        yield setup
    finally:
        stop_logging()
        for stream in streams:
            stream.close()
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
        structlog.reset_defaults()
