"""A stand-in for the public price API on 127.0.0.1, serving the sample files over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.spot_price_server import running_price_api


@pytest.fixture(scope="session")
def price_api() -> Iterator[tuple[str, list[str]]]:
    """(base address, list of requested paths) of a running stand-in server."""
    with running_price_api() as api:
        yield api
