"""The OCPP address shown once after adding a charger is where this server listens: on another port
(LADEPORTAL_PORT) it names that port, unless LADEPORTAL_PUBLIC_URL gives the public address."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import make_site
from tests.portal.conftest import TwoOrgs, form_post


@pytest.fixture
def served_on_port_8123(monkeypatch: pytest.MonkeyPatch) -> None:
    """Read by the portal app's settings, so it must come before the app in a test's arguments."""
    monkeypatch.setenv("LADEPORTAL_PORT", "8123")
    monkeypatch.delenv("LADEPORTAL_PUBLIC_URL", raising=False)


async def test_a_new_charger_is_told_the_port_the_server_listens_on(
    served_on_port_8123: None, two_orgs: TwoOrgs, session: AsyncSession
) -> None:
    c, base = two_orgs.admin_a.client, f"/portal/o/{two_orgs.org_a.id}"
    site = await make_site(session, two_orgs.org_a)
    response = await form_post(
        c,
        f"{base}/chargers/new",
        f"{base}/chargers/new",
        {"site_id": str(site.id), "ocpp_id": "PORT-1", "connectors": "1"},
    )
    assert response.status_code == 200
    assert "ws://127.0.0.1:8123/ocpp/PORT-1" in response.text
