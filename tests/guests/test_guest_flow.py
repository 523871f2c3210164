"""A guest at a public charger, end to end against the Stripe stand-in: price first, the number
confirmed by SMS, a card hold on the owner's behalf, the start, the stop from the same phone, the
capture of the public plan's price (never more than the hold), the receipt."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.billing.stripe_gateway import gateway
from ladeportal.db.base import utcnow
from ladeportal.db.engine import Database
from ladeportal.guests.charges import START_TASK, confirm_payment
from ladeportal.guests.models import ChargeState
from ladeportal.guests.settle import SETTLE_TASK, observe_charges, settle_charge
from ladeportal.jobs.models import OutboxTask
from ladeportal.members.access import AccessStatus, decide_access
from ladeportal.settings import get_settings
from ladeportal.stripe_standin.server import StandinServer
from tests.guests.conftest import GuestWorld, stripe_get
from tests.guests.flow_helpers import charge_row, charger_starts, charger_stops, pay, run_start
from tests.portal.conftest import csrf_of

pytestmark = pytest.mark.asyncio


async def _tasks(session: AsyncSession, kind: str) -> int:
    count = await session.scalar(select(func.count()).select_from(OutboxTask).where(OutboxTask.kind == kind))
    await session.commit()
    return int(count or 0)


async def test_the_price_comes_first_and_no_ocpp_identity_is_shown(
    client, session: AsyncSession, world: GuestWorld
) -> None:
    page = await client.get(f"/app/c/{world.code}")
    assert page.status_code == 200
    text = page.text
    assert "5" in text and "kWh" in text and "500" in text  # the public price and the amount held
    assert text.index('data-testid="price"') < text.index('name="phone"')
    assert world.ocpp_id not in text
    assert "Slik betaler du" in text and "How paying works" not in text  # Norwegian first
    english = await client.get(f"/app/c/{world.code}", headers={"accept-language": "en"})
    assert "How paying works" in english.text
    assert (await client.get("/app/c/ZZZZZZ")).status_code == 404


async def test_a_guest_pays_charges_stops_and_is_charged_the_public_price(
    client, db: Database, session: AsyncSession, world: GuestWorld, standin: StandinServer
) -> None:
    visit = await pay(client, session, world, standin)
    row = await charge_row(session, visit.charge_id)
    assert row.state == ChargeState.authorised and row.payment_intent_id
    intent = await stripe_get(standin, f"/v1/payment_intents/{row.payment_intent_id}")
    assert intent["status"] == "requires_capture" and intent["amount_capturable"] == 500_00
    assert intent["capture_method"] == "manual"
    assert intent["on_behalf_of"] == world.account_id
    assert intent["transfer_data"]["destination"] == world.account_id
    checkout = await stripe_get(standin, f"/v1/checkout/sessions/{visit.checkout_id}")
    assert checkout["mode"] == "payment"

    await run_start(db, visit.charge_id)
    assert world.charger.calls == [("RemoteStartTransaction", {"connectorId": 1, "idTag": row.id_tag})]
    started = utcnow() - timedelta(hours=1)
    tx = await charger_starts(session, world, row.id_tag, started)
    await observe_charges(db)
    assert (await charge_row(session, visit.charge_id)).state == ChargeState.charging

    live = await client.get(f"/app/guest/{visit.charge_id}")
    assert "data-refresh" in live.text
    stopped = await client.post(f"/app/guest/{visit.charge_id}/stop", data={"csrf_token": csrf_of(live.text)})
    assert stopped.status_code == 303
    assert world.charger.calls[-1] == ("RemoteStopTransaction", {"transactionId": tx})

    await charger_stops(session, world, tx, 12_000, started + timedelta(minutes=50))  # 12 kWh at 5 kr
    await observe_charges(db)
    row = await charge_row(session, visit.charge_id)
    assert row.state == ChargeState.settling and row.cost_minor == 60_00
    assert await settle_charge(db, gateway(), get_settings(), visit.charge_id) == ChargeState.done
    row = await charge_row(session, visit.charge_id)
    assert (row.captured_minor, row.shortfall_minor) == (60_00, 0)
    intent = await stripe_get(standin, f"/v1/payment_intents/{row.payment_intent_id}")
    assert intent["status"] == "succeeded" and intent["amount_received"] == 60_00
    assert intent["application_fee_amount"] == row.fee_minor

    receipt = await client.get(f"/app/r/{row.receipt_token}")
    assert receipt.status_code == 200 and "60,00" in receipt.text
    after = await decide_access(session, world.org.id, world.site.id, row.id_tag, utcnow(), charge_point_id=world.cp_id)
    assert after.status != AccessStatus.accepted  # the tag ends with the hold


async def test_a_declined_card_starts_nothing(
    client, db: Database, session: AsyncSession, world: GuestWorld, standin: StandinServer
) -> None:
    visit = await pay(client, session, world, standin, card="4000000000000002")
    row = await charge_row(session, visit.charge_id)
    assert row.state == ChargeState.paying
    assert not await confirm_payment(db, gateway(), visit.charge_id)
    back = await client.get(f"/app/guest/{visit.charge_id}/paid?session_id={visit.checkout_id}")
    assert back.status_code == 303
    assert (await charge_row(session, visit.charge_id)).state == ChargeState.paying
    assert await _tasks(session, START_TASK) == 0
    await run_start(db, visit.charge_id)
    assert world.charger.calls == []
    refused = await decide_access(
        session, world.org.id, world.site.id, row.id_tag, utcnow(), charge_point_id=world.cp_id
    )
    assert refused.status != AccessStatus.accepted


async def test_the_redirect_and_the_webhook_start_the_charger_once(
    client, db: Database, session: AsyncSession, world: GuestWorld, standin: StandinServer
) -> None:
    visit = await pay(client, session, world, standin)
    assert not await confirm_payment(db, gateway(), visit.charge_id)  # the webhook, after the redirect
    assert await _tasks(session, START_TASK) == 1
    await run_start(db, visit.charge_id)
    await run_start(db, visit.charge_id)
    assert [a for a, _ in world.charger.calls] == ["RemoteStartTransaction"]


async def test_a_session_dearer_than_the_hold_captures_the_hold_and_records_the_rest(
    client, db: Database, session: AsyncSession, world: GuestWorld, standin: StandinServer
) -> None:
    visit = await pay(client, session, world, standin)
    await run_start(db, visit.charge_id)
    row = await charge_row(session, visit.charge_id)
    started = utcnow() - timedelta(hours=3)
    tx = await charger_starts(session, world, row.id_tag, started)
    await charger_stops(session, world, tx, 150_000, started + timedelta(hours=2))  # 750 kr
    await observe_charges(db)
    await settle_charge(db, gateway(), get_settings(), visit.charge_id)
    row = await charge_row(session, visit.charge_id)
    assert (row.cost_minor, row.captured_minor, row.shortfall_minor) == (750_00, 500_00, 250_00)
    intent = await stripe_get(standin, f"/v1/payment_intents/{row.payment_intent_id}")
    assert intent["amount_received"] == 500_00


async def test_no_car_plugged_in_releases_the_whole_hold(
    client, db: Database, session: AsyncSession, world: GuestWorld, standin: StandinServer
) -> None:
    visit = await pay(client, session, world, standin)
    await run_start(db, visit.charge_id)
    await observe_charges(db)
    assert (await charge_row(session, visit.charge_id)).state == ChargeState.authorised
    await observe_charges(db, utcnow() + timedelta(minutes=6))
    assert await _tasks(session, SETTLE_TASK) == 1
    await settle_charge(db, gateway(), get_settings(), visit.charge_id)
    row = await charge_row(session, visit.charge_id)
    assert row.state == ChargeState.done and row.captured_minor == 0 and row.failure == "guest.no_car"
    intent = await stripe_get(standin, f"/v1/payment_intents/{row.payment_intent_id}")
    assert intent["status"] == "canceled" and intent["amount_capturable"] == 0


async def test_a_refused_start_releases_the_hold(
    client, db: Database, session: AsyncSession, world: GuestWorld, standin: StandinServer
) -> None:
    world.charger.answer = "Rejected"
    visit = await pay(client, session, world, standin)
    await run_start(db, visit.charge_id)
    row = await charge_row(session, visit.charge_id)
    assert row.state == ChargeState.settling and row.failure == "guest.start_rejected"
