"""A stand-in for the public day-ahead price API on 127.0.0.1 (paths under /failing/ answer 503, so
retries can be watched)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.spot_price_server import running_price_api


@pytest.fixture(scope="session")
def spot_api() -> Iterator[tuple[str, list[str]]]:
    """(address of the server, paths requested so far)."""
    with running_price_api() as api:
        yield api
