"""POST /webhooks/stripe: signed deliveries are stored with an outbox task and answered at once; the
task re-reads the account from Stripe, so any order of events ends in the state Stripe has now.
Duplicates change nothing, bad signatures store nothing, one organisation's event never touches
another's account, an unknown account is logged and ignored. And end to end: the stand-in delivers
to the app served by uvicorn."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import socket
import time
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.billing.account_status import PaymentsState
from ladeportal.billing.models import StripeAccount, StripeEvent
from ladeportal.billing.onboarding import onboarding_link, payments_status
from ladeportal.billing.webhooks import EVENT_TASK
from ladeportal.db.engine import Database
from ladeportal.jobs.models import OutboxTask, TaskState
from ladeportal.jobs.outbox import run_due_tasks
from ladeportal.orgs.models import Organization
from ladeportal.stripe_standin.server import StandinConfig, StandinServer
from tests.billing.conftest import (
    CONNECT_SECRET,
    PLATFORM_SECRET,
    REFRESH_URL,
    RETURN_URL,
    account_event,
    point_settings_at,
    signed,
    staff_member,
    stored_account,
)
from tests.factories import make_org

URL = "/webhooks/stripe"


async def _onboarded_org(db: Database, session: AsyncSession) -> tuple[Organization, str]:
    org = await make_org(session)
    admin = await staff_member(session, org)
    await onboarding_link(db, org.id, actor_user_id=admin.user_id, return_url=RETURN_URL, refresh_url=REFRESH_URL)
    row = await stored_account(session, org.id)
    assert row is not None and row.account_id is not None
    return org, row.account_id


async def _count(session: AsyncSession, model: type) -> int:
    n = int(await session.scalar(select(func.count()).select_from(model)) or 0)
    await session.commit()
    return n


async def _event_tasks(session: AsyncSession) -> list[OutboxTask]:
    rows = list(await session.scalars(select(OutboxTask).where(OutboxTask.kind == EVENT_TASK)))
    await session.commit()
    return rows


async def test_a_signed_event_is_stored_at_once_and_the_outbox_brings_the_account_up_to_date(
    db: Database, session: AsyncSession, client: httpx.AsyncClient, standin: StandinServer
) -> None:
    org, account_id = await _onboarded_org(db, session)
    standin.complete_onboarding(account_id)
    body, headers = signed(account_event(account_id, charges_enabled=True), CONNECT_SECRET)

    answer = await client.post(URL, content=body, headers=headers)
    assert answer.status_code == 200 and answer.json()["duplicate"] is False
    # The request only recorded the event: the account is as it was until the outbox runs.
    assert (await payments_status(session, org.id)).state == PaymentsState.in_progress
    [stored] = list(await session.scalars(select(StripeEvent)))
    assert (stored.account, stored.endpoint, stored.type, stored.processed_at) == (
        account_id,
        "connect",
        "account.updated",
        None,
    )
    assert len(await _event_tasks(session)) == 1

    await run_due_tasks(db, "test-worker")
    assert (await payments_status(session, org.id)).state == PaymentsState.ready
    processed = await session.scalar(select(StripeEvent.processed_at).execution_options(populate_existing=True))
    assert processed is not None


async def test_events_in_either_order_end_in_the_state_stripe_has_now(
    db: Database, session: AsyncSession, client: httpx.AsyncClient, standin: StandinServer
) -> None:
    org, account_id = await _onboarded_org(db, session)
    standin.complete_onboarding(account_id)
    # The older event said "nothing submitted", the newer "ready"; they arrive newest first.
    older = account_event(account_id, details_submitted=False, charges_enabled=False)
    newer = account_event(account_id, details_submitted=True, charges_enabled=True, payouts_enabled=True)
    for event in (newer, older):
        body, headers = signed(event, CONNECT_SECRET)
        assert (await client.post(URL, content=body, headers=headers)).status_code == 200
        await run_due_tasks(db, "test-worker")
    assert (await payments_status(session, org.id)).state == PaymentsState.ready

    # Stripe asks for more later; a stale "ready" event arriving after that changes nothing back.
    standin.set_requirements(account_id, currently_due=["company.tax_id"], current_deadline=standin.now() + 14 * 86400)
    for event in (account_event(account_id), newer | {"id": f"evt_{uuid.uuid4().hex[:24]}"}):
        body, headers = signed(event, CONNECT_SECRET)
        assert (await client.post(URL, content=body, headers=headers)).status_code == 200
    await run_due_tasks(db, "test-worker")
    status = await payments_status(session, org.id)
    assert status.state == PaymentsState.action_needed and status.currently_due == ("company.tax_id",)


async def test_a_duplicate_delivery_is_answered_200_and_changes_nothing(
    db: Database, session: AsyncSession, client: httpx.AsyncClient, standin: StandinServer
) -> None:
    org, account_id = await _onboarded_org(db, session)
    event = account_event(account_id)
    body, headers = signed(event, CONNECT_SECRET)
    assert (await client.post(URL, content=body, headers=headers)).json()["duplicate"] is False
    await run_due_tasks(db, "test-worker")
    before = await stored_account(session, org.id)
    assert before is not None

    again_body, again_headers = signed(event, CONNECT_SECRET, at=int(time.time()) + 1)  # Stripe re-signs a retry
    again = await client.post(URL, content=again_body, headers=again_headers)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert await _count(session, StripeEvent) == 1
    assert len(await _event_tasks(session)) == 1
    assert await run_due_tasks(db, "test-worker") == 0
    after = await stored_account(session, org.id)
    assert after is not None and after.synced_at == before.synced_at


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "t=1,v1=00",
        "garbage",
        "wrong-secret",
        "too-old",
    ],
)
async def test_a_bad_signature_is_400_and_stores_nothing(
    db: Database, session: AsyncSession, client: httpx.AsyncClient, signature: str | None
) -> None:
    event = account_event("acct_someone")
    if signature == "wrong-secret":
        body, headers = signed(event, "whsec_not_ours")
    elif signature == "too-old":  # outside Stripe's 300 s tolerance: a replayed delivery
        body, headers = signed(event, CONNECT_SECRET, at=int(time.time()) - 400)
    else:
        body, headers = signed(event, CONNECT_SECRET)
        headers = {"content-type": "application/json"} | ({"stripe-signature": signature} if signature else {})
    answer = await client.post(URL, content=body, headers=headers)
    assert answer.status_code == 400 and answer.json()["code"] == "payments.webhook_signature"
    assert await _count(session, StripeEvent) == 0
    assert await _count(session, OutboxTask) == 0


async def test_a_body_changed_after_signing_is_refused(
    db: Database, session: AsyncSession, client: httpx.AsyncClient
) -> None:
    body, headers = signed(account_event("acct_someone"), CONNECT_SECRET)
    answer = await client.post(URL, content=body.replace(b"acct_someone", b"acct_other00"), headers=headers)
    assert answer.status_code == 400
    assert await _count(session, StripeEvent) == 0


async def test_platform_events_verify_with_the_platform_secret(
    db: Database, session: AsyncSession, client: httpx.AsyncClient
) -> None:
    event = account_event("acct_platform") | {"type": "balance.available", "account": None}
    event["data"] = {"object": {"object": "balance"}}
    body, headers = signed(event, PLATFORM_SECRET)
    assert (await client.post(URL, content=body, headers=headers)).status_code == 200
    stored = await session.scalar(select(StripeEvent))
    assert stored is not None and stored.endpoint == "platform" and stored.account is None
    await session.commit()
    await run_due_tasks(db, "test-worker")  # nothing to re-read; marked processed
    processed = await session.scalar(select(StripeEvent.processed_at).execution_options(populate_existing=True))
    assert processed is not None


async def test_an_event_of_one_organisation_changes_nothing_of_another(
    db: Database, session: AsyncSession, client: httpx.AsyncClient, standin: StandinServer
) -> None:
    org_x, account_x = await _onboarded_org(db, session)
    org_y, account_y = await _onboarded_org(db, session)
    y_before = await stored_account(session, org_y.id)
    assert y_before is not None
    standin.complete_onboarding(account_x)
    standin.complete_onboarding(account_y)  # Y is ready at Stripe too, but no event about Y came
    body, headers = signed(account_event(account_x), CONNECT_SECRET)
    assert (await client.post(URL, content=body, headers=headers)).status_code == 200
    await run_due_tasks(db, "test-worker")

    assert (await payments_status(session, org_x.id)).state == PaymentsState.ready
    y_after = await stored_account(session, org_y.id)
    assert y_after is not None
    assert (y_after.state, y_after.synced_at, y_after.updated_at) == (
        y_before.state,
        y_before.synced_at,
        y_before.updated_at,
    )


async def test_an_event_about_an_unknown_account_is_logged_and_ignored(
    db: Database,
    session: AsyncSession,
    client: httpx.AsyncClient,
    standin: StandinServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    org, _ = await _onboarded_org(db, session)
    before = await stored_account(session, org.id)
    body, headers = signed(account_event("acct_nobodyknows"), CONNECT_SECRET)
    assert (await client.post(URL, content=body, headers=headers)).status_code == 200
    with caplog.at_level(logging.WARNING, logger="ladeportal.billing.webhooks"):
        await run_due_tasks(db, "test-worker")
    assert "acct_nobodyknows" in caplog.text
    [task] = await _event_tasks(session)
    assert task.state == TaskState.done
    after = await stored_account(session, org.id)
    assert before is not None and after is not None and after.updated_at == before.updated_at
    assert await _count(session, StripeAccount) == 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def served(app: FastAPI) -> AsyncIterator[str]:
    """The app served by uvicorn on a loopback port, in this event loop."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.05)
    assert server.started
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def test_the_stand_in_delivers_to_the_served_app(
    db: Database, session: AsyncSession, served: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = StandinConfig(
        webhook_url=f"{served}{URL}",
        platform_webhook_secret=PLATFORM_SECRET,
        connect_webhook_secret=CONNECT_SECRET,
        verify_delay_seconds=0.0,
    )
    async with StandinServer(config) as delivering:
        point_settings_at(monkeypatch, delivering.url, delivering.api_key)
        org, account_id = await _onboarded_org(db, session)
        delivering.complete_onboarding(account_id)  # the hosted form's submit: account.updated events
        assert await delivering.wait_for_webhooks_async(30)
        sent = {e["id"] for e in delivering.events("account.updated")}
        assert sent and {d["event_id"] for d in delivering.deliveries() if d["status_code"] == 200} >= sent
        received = set(await session.scalars(select(StripeEvent.event_id)))
        await session.commit()
        assert sent and sent <= received
        while await run_due_tasks(db, "test-worker"):
            pass
        assert (await payments_status(session, org.id)).state == PaymentsState.ready


async def test_an_account_stripe_no_longer_knows_fails_the_task_for_good(
    db: Database, session: AsyncSession, client: httpx.AsyncClient
) -> None:
    org = await make_org(session)
    session.add(
        StripeAccount(organization_id=org.id, account_id="acct_gone00000001", country="NO", business_type="company")
    )
    await session.commit()
    body, headers = signed(account_event("acct_gone00000001"), CONNECT_SECRET)
    assert (await client.post(URL, content=body, headers=headers)).status_code == 200
    await run_due_tasks(db, "test-worker")
    [task] = await _event_tasks(session)
    assert task.state == TaskState.failed and task.attempts == 1
    row = await stored_account(session, org.id)
    assert row is not None and row.last_error_code == "resource_missing" and row.synced_at is None


@pytest.mark.parametrize("body", [b"{}", b"not json", b'{"id": "evt_1"}'])
async def test_a_signed_body_that_is_not_an_event_is_400(
    db: Database, session: AsyncSession, client: httpx.AsyncClient, body: bytes
) -> None:
    timestamp = int(time.time())
    digest = hmac.new(CONNECT_SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    answer = await client.post(URL, content=body, headers={"stripe-signature": f"t={timestamp},v1={digest}"})
    assert answer.status_code == 400
    assert await _count(session, StripeEvent) == 0
