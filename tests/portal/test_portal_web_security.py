"""The web layer's own defences: CSRF tokens bound to one browser session, security headers on every
response, the API description off in production, and settings that refuse unsafe combinations."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from ladeportal.db.engine import Database
from ladeportal.settings import Settings, SettingsError, load_settings
from ladeportal.web import app as web_app
from tests.portal.conftest import TwoOrgs, csrf_of, new_client

PRODUCTION = {"mode": "production", "secret_key": "p" * 48, "sms_provider": "http", "sms_api_token": "user:pass"}


async def _client_for(settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    application = web_app.create_app(settings, db=db)
    async with application.router.lifespan_context(application), new_client(application) as c:
        yield c


async def test_a_csrf_token_from_another_browser_session_is_refused(two_orgs: TwoOrgs) -> None:
    a, b = two_orgs.admin_a.client, two_orgs.admin_b.client
    page_b = await b.get(f"/portal/o/{two_orgs.org_b.id}/users")
    b_cookie, b_token = b.cookies.get("lp_csrf"), csrf_of(page_b.text)
    assert b_cookie and b_token
    # A's browser carrying B's CSRF cookie and token (as a cookie planted by an attacker would be).
    a.cookies.set("lp_csrf", b_cookie)
    response = await a.post("/portal/logout-everywhere", data={"csrf_token": b_token})
    assert response.status_code == 403
    # A's own fresh token works.
    page_a = await a.get(f"/portal/o/{two_orgs.org_a.id}/users")
    assert (await a.post("/portal/logout", data={"csrf_token": csrf_of(page_a.text)})).status_code == 303


async def test_security_headers_on_every_response(app: FastAPI, two_orgs: TwoOrgs) -> None:
    anonymous = new_client(app)
    signed_in = two_orgs.admin_a.client
    responses = {
        "health": await anonymous.get("/healthz"),
        "api error": await anonymous.get("/api/v1/orgs"),
        "api data": await signed_in.get(f"/api/v1/orgs/{two_orgs.org_a.id}/members"),
        "login page": await anonymous.get("/portal/login"),
        "signed-in page": await signed_in.get(f"/portal/o/{two_orgs.org_a.id}/users"),
        "missing page": await anonymous.get("/no/such/page"),
    }
    assert responses["api data"].status_code == 200 and responses["signed-in page"].status_code == 200
    for name, response in responses.items():
        headers = response.headers
        assert headers.get("x-content-type-options") == "nosniff", name
        assert headers.get("referrer-policy") == "same-origin", name
        assert "frame-ancestors 'none'" in headers.get("content-security-policy", ""), name
        assert headers.get("cache-control") == "no-store", name
        assert "strict-transport-security" not in headers, name  # plain HTTP here
    # The portal keeps its full policy (scripts only from this site; the pages have no inline scripts).
    assert "script-src 'self'" in responses["signed-in page"].headers["content-security-policy"]
    static = await anonymous.get("/static/portal/portal.css")
    assert static.status_code == 200 and static.headers.get("cache-control") != "no-store"
    await anonymous.aclose()


async def test_hsts_when_served_over_https(db: Database) -> None:
    settings = load_settings(database_url=db.url, run_worker_in_process=False, cookie_secure=True)
    async for c in _client_for(settings, db):
        response = await c.get("/healthz")
        assert response.headers["strict-transport-security"].startswith("max-age=31536000")


async def test_api_docs_are_off_in_production_unless_enabled(db: Database) -> None:
    docs = ("/api/v1/openapi.json", "/api/v1/docs", "/docs", "/openapi.json")
    async for c in _client_for(load_settings(database_url=db.url, run_worker_in_process=False, **PRODUCTION), db):
        assert [(await c.get(path)).status_code for path in docs] == [404] * 4
    enabled = load_settings(database_url=db.url, run_worker_in_process=False, api_docs=True, **PRODUCTION)
    async for c in _client_for(enabled, db):
        assert (await c.get("/api/v1/openapi.json")).status_code == 200
        assert (await c.get("/api/v1/docs")).status_code == 200
    async for c in _client_for(load_settings(database_url=db.url, run_worker_in_process=False), db):
        assert (await c.get("/api/v1/openapi.json")).status_code == 200  # development and tests


def test_production_refuses_the_console_sms_provider() -> None:
    with pytest.raises(SettingsError, match="LADEPORTAL_SMS_PROVIDER"):
        load_settings(_env_file=None, **{**PRODUCTION, "sms_provider": "console"})
    assert load_settings(_env_file=None, **PRODUCTION).sms_provider == "http"


def test_mode_test_is_refused_outside_the_test_suite() -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    check = "from ladeportal.settings import load_settings; load_settings(_env_file=None)"
    outside = subprocess.run(
        [sys.executable, "-c", check],
        env={**env, "LADEPORTAL_MODE": "test"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert outside.returncode != 0 and "LADEPORTAL_MODE" in outside.stderr
    dev = subprocess.run(
        [sys.executable, "-c", check],
        env={**env, "LADEPORTAL_MODE": "dev"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert dev.returncode == 0, dev.stderr
