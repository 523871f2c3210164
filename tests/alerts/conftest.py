"""Alerts tests use the portal's fixtures (the app, people signed in to two organisations)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ladeportal.settings import get_settings
from tests.portal.conftest import app, client, two_orgs  # noqa: F401  (fixtures)


@pytest.fixture
def console_email(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """E-mail switched on (the console provider), as in a deployment that sends e-mail."""
    monkeypatch.setenv("LADEPORTAL_EMAIL_PROVIDER", "console")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
