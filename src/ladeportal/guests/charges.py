"""A guest's charge, one state change per function: begun when the mobile number is confirmed, paid by
a card hold on Stripe's Checkout page, authorised exactly once (by the success redirect or the webhook,
whichever comes first), started at the connector, stopped from the guest's phone.

Stripe is never asked while a database transaction is open; every call is keyed by the charge's id,
so a repeated step gets Stripe's first answer back. What happens after the session (capture, release,
receipt) is in settle.py.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.billing.invoice_settings import billing_settings, platform_fee_minor
from ladeportal.billing.stripe_gateway import StripeGateway
from ladeportal.chargers.commands import CommandResult, send_command
from ladeportal.db.base import utcnow
from ladeportal.db.engine import Database, unit_of_work
from ladeportal.errors import Conflict, NotFound, ValidationFailed
from ladeportal.guests.models import ChargeState, GuestCharge
from ladeportal.guests.places import PublicConnector, can_take_payments, hold_minor, public_connector
from ladeportal.jobs.outbox import enqueue
from ladeportal.members.access import GUEST_TAG_PREFIX
from ladeportal.platform.audit import Actor
from ladeportal.sessions.models import ChargingSession, SessionState
from ladeportal.settings import Settings

START_TASK = "guests.start"
TAG_PREFIX = GUEST_TAG_PREFIX
# Stripe's Checkout locales for the app's languages (Stripe has "nb" for Norwegian bokmål).
CHECKOUT_LOCALES = {"nb": "nb", "en": "en", "sv": "sv"}


def browser_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_tag() -> str:
    # 19 characters: inside OCPP 1.6's 20-character idTag, and never a hexadecimal RFID UID.
    return TAG_PREFIX + secrets.token_hex(8).upper()


def is_guest_tag(raw: str) -> bool:
    return raw.startswith(TAG_PREFIX) and len(raw) == len(TAG_PREFIX) + 16


def _not_found() -> NotFound:
    return NotFound("No such charge.", code="guest.charge_not_found")


async def begin_charge(
    session: AsyncSession, connector: PublicConnector, phone: str, language: str, browser_token: str
) -> GuestCharge:
    """The guest's charge at the connector, after `verify_guest_code` (commits its transaction)."""
    async with unit_of_work(session):
        row = GuestCharge(
            id=uuid.uuid4(),
            organization_id=connector.organization_id,
            charge_point_id=connector.charge_point_id,
            connector_number=connector.connector_number,
            code=connector.code,
            phone=phone,
            language=language,
            browser_hash=browser_hash(browser_token),
            id_tag=new_tag(),
            state=ChargeState.verified,
            hold_minor=await hold_minor(session, connector.organization_id),
            currency=connector.currency,
            receipt_token=secrets.token_urlsafe(32),
            created_at=utcnow(),
        )
        session.add(row)
    return row


async def charge_of_browser(session: AsyncSession, charge_id: uuid.UUID, browser_token: str | None) -> GuestCharge:
    """The charge, only for the browser that began it; any other caller gets NotFound."""
    row = await session.get(GuestCharge, charge_id)
    if row is None or not browser_token or not secrets.compare_digest(row.browser_hash, browser_hash(browser_token)):
        raise _not_found()
    return row


async def start_checkout(
    db: Database, gw: StripeGateway, settings: Settings, charge_id: uuid.UUID, browser_token: str | None
) -> str:
    """The URL of Stripe's payment page for the charge's hold (the same session when asked again)."""
    async with db.session() as session:
        row = await charge_of_browser(session, charge_id, browser_token)
        if row.state not in (ChargeState.verified, ChargeState.paying):
            raise Conflict("This charge is already paid.", code="guest.already_paid")
        connector = await public_connector(session, row.code)
        account_id = await can_take_payments(session, row.organization_id)
        if account_id is None:
            raise ValidationFailed("Card payments are not available here right now.", code="guest.payments_not_ready")
        fee = platform_fee_minor(await billing_settings(session, row.organization_id), settings, row.hold_minor)
        hold, currency, language = row.hold_minor, row.currency, row.language
        await session.commit()  # ends the read before Stripe is asked
    base = settings.public_url.rstrip("/")
    checkout = await gw.create_guest_checkout(
        amount_minor=hold,
        currency=currency,
        description=f"{connector.org_name}: {connector.charger_name} ({connector.connector_number})",
        account_id=account_id,
        fee_minor=fee,
        success_url=f"{base}/app/guest/{charge_id}/paid?session_id={{CHECKOUT_SESSION_ID}}",
        cancel_url=f"{base}/app/guest/{charge_id}",
        metadata={"guest_charge": str(charge_id)},
        locale=CHECKOUT_LOCALES.get(language),
        idempotency_key=f"guest:{charge_id}:checkout",
    )
    async with db.session() as session, unit_of_work(session):
        await session.execute(
            update(GuestCharge)
            .where(GuestCharge.id == charge_id, GuestCharge.state.in_((ChargeState.verified, ChargeState.paying)))
            .values(state=ChargeState.paying, checkout_session_id=checkout.id)
        )
    if checkout.url is None:
        raise Conflict("This payment page has closed; start again from the charger.", code="guest.checkout_closed")
    return checkout.url


async def confirm_payment(db: Database, gw: StripeGateway, charge_id: uuid.UUID) -> bool:
    """Re-read the charge's Checkout Session from Stripe; when the hold is in place, mark the charge
    authorised and queue the start. True only for the one caller that made the change: the success
    redirect and the webhook may both arrive, and the charger is started once."""
    async with db.session() as session:
        row = await session.get(GuestCharge, charge_id)
        checkout_id = row.checkout_session_id if row is not None and row.state == ChargeState.paying else None
        await session.commit()
    if checkout_id is None:
        return False
    checkout = await gw.retrieve_guest_checkout(checkout_id)
    if checkout.status != "complete" or checkout.intent_status != "requires_capture":
        return False
    async with db.session() as session, unit_of_work(session):
        result = await session.execute(
            update(GuestCharge)
            .where(GuestCharge.id == charge_id, GuestCharge.state == ChargeState.paying)
            .values(state=ChargeState.authorised, payment_intent_id=checkout.payment_intent_id, authorised_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        changed = bool(result.rowcount == 1)  # type: ignore[attr-defined]
        if changed:
            await enqueue(session, START_TASK, {"charge_id": str(charge_id)}, dedupe_key=f"guest-start:{charge_id}")
    return changed


async def charge_of_checkout(session: AsyncSession, checkout_id: str) -> uuid.UUID | None:
    return await session.scalar(select(GuestCharge.id).where(GuestCharge.checkout_session_id == checkout_id))


async def charging_session(session: AsyncSession, row: GuestCharge) -> ChargingSession | None:
    """The session the charger began with the guest's tag (the latest, if it began more than one)."""
    return await session.scalar(
        select(ChargingSession)
        .where(
            ChargingSession.organization_id == row.organization_id,
            ChargingSession.charge_point_id == row.charge_point_id,
            ChargingSession.id_tag == row.id_tag,
        )
        .order_by(ChargingSession.started_at.desc())
        .limit(1)
    )


async def stop_charge(session: AsyncSession, charge_id: uuid.UUID, browser_token: str | None) -> CommandResult:
    """Ask the charger to stop the guest's running session (from the phone that began it)."""
    row = await charge_of_browser(session, charge_id, browser_token)
    running = await charging_session(session, row)
    if running is None or running.state != SessionState.active:
        raise Conflict("Charging has not started or has already ended.", code="guest.not_charging")
    return await send_command(
        session,
        Actor.system("guest"),
        row.organization_id,
        row.charge_point_id,
        "RemoteStopTransaction",
        {"transactionId": running.id},
    )


@dataclass(frozen=True)
class StartOutcome:
    accepted: bool
    failure: str | None


async def start_at_charger(session: AsyncSession, row: GuestCharge) -> StartOutcome:
    """RemoteStartTransaction with the guest's tag on the paid connector."""
    from ladeportal.chargers.commands import CommandFailed

    try:
        result = await send_command(
            session,
            Actor.system("guest"),
            row.organization_id,
            row.charge_point_id,
            "RemoteStartTransaction",
            {"connectorId": row.connector_number, "idTag": row.id_tag},
        )
    except CommandFailed as exc:
        return StartOutcome(False, exc.code or "charger.no_answer")
    except (NotFound, ValidationFailed) as exc:
        return StartOutcome(False, exc.code or "charger.not_found")
    return StartOutcome(result.accepted, None if result.accepted else "guest.start_rejected")
