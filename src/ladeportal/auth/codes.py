"""One-time login codes: requested by mobile number, sent by SMS through the outbox, used once.

The code has 6 digits from `secrets`, lives 10 minutes, and allows 5 wrong answers; a new request
replaces the previous code. With at most about 18 codes per number a day from strangers (see
limits.py), a guesser's chance per day is about 18 * 5 / 10**6. Whether the number belongs to anyone,
the caller sees exactly the same answer. The SMS is queued sealed (messaging/sealing.py): the code is
readable only in the worker that sends it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import case, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.auth.limits import NumberHeldBack, Requester, check_send_limits, claim_alert
from ladeportal.auth.models import LoginCode, TrustedDevice
from ladeportal.db.base import utcnow
from ladeportal.db.engine import unit_of_work
from ladeportal.errors import DomainError
from ladeportal.members.models import Membership, MembershipState, Role, User
from ladeportal.members.phone import normalise_mobile
from ladeportal.messaging.queue import queue_sms
from ladeportal.messaging.redact import mask_phone
from ladeportal.platform.audit import Actor, record
from ladeportal.platform.models import OperatorAccount

log = logging.getLogger(__name__)

CODE_DIGITS = 6
CODE_LIFETIME = timedelta(minutes=10)
MAX_WRONG_ANSWERS = 5
PORTAL_ROLES = (Role.org_admin, Role.finance)

SMS_TEXT = {
    "nb": "Din innloggingskode for Ladeportal er {code}. Den gjelder i 10 minutter.",
    "en": "Your Ladeportal login code is {code}. It is valid for 10 minutes.",
    "sv": "Din inloggningskod för Ladeportal är {code}. Den gäller i 10 minuter.",
}


# Who may receive a code for a number: the portal's staff, or (the end-user app) any member.
WhoMaySignIn = Callable[[AsyncSession, str], Awaitable[User | None]]


class LoginFailed(DomainError):
    kind = "login_failed"


@dataclass(frozen=True)
class CodeSecrets:
    """What codes are bound to: the server secret (for the HMAC) and the portal's host name (for the
    origin-bound line that lets browsers autofill the code only on the real site)."""

    secret_key: str
    public_url: str


def _digest(secrets_: CodeSecrets, code_id: uuid.UUID, code: str) -> str:
    message = f"{code_id}:{code}".encode()
    return hmac.new(secrets_.secret_key.encode(), message, hashlib.sha256).hexdigest()


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


async def portal_user(session: AsyncSession, phone: str) -> User | None:
    """The user behind the number if they may use the portal (staff of an organisation, or operator).
    Members without a portal role get no SMS: the end-user app will have its own sign-in."""
    user = await session.scalar(select(User).where(User.phone == phone, User.anonymised_at.is_(None)))
    if user is None:
        return None
    staff = await session.scalar(
        select(Membership.id)
        .where(
            Membership.user_id == user.id,
            Membership.role.in_(PORTAL_ROLES),
            Membership.removed_at.is_(None),
            Membership.state != MembershipState.blocked,
        )
        .limit(1)
    )
    operator = await session.scalar(
        select(OperatorAccount.id).where(OperatorAccount.user_id == user.id, OperatorAccount.active.is_(True))
    )
    return user if staff is not None or operator is not None else None


def sms_text(language: str, code: str, public_url: str) -> str:
    text = SMS_TEXT.get(language, SMS_TEXT["nb"]).format(code=code)
    host = urlsplit(public_url).hostname
    # Origin-bound one-time code format (WICG sms-one-time-codes): browsers offer to fill the code only
    # on this host, which blunts phishing pages that relay codes.
    return f"{text}\n\n@{host} #{code}" if host else text


async def _is_trusted(session: AsyncSession, user: User | None, requester: Requester) -> bool:
    if user is None or requester.device_key is None:
        return False
    found = await session.scalar(
        select(TrustedDevice.user_id).where(
            TrustedDevice.user_id == user.id, TrustedDevice.device_key == requester.device_key
        )
    )
    return found is not None


async def request_login_code(
    session: AsyncSession,
    raw_phone: str,
    requester: Requester,
    secrets_: CodeSecrets,
    who: WhoMaySignIn | None = None,
) -> str:
    """Record the request and queue an SMS when the number may sign in. Returns the normalised number.

    Raises ValidationFailed for a malformed number and RateLimited past a send limit."""
    phone = normalise_mobile(raw_phone)
    now = utcnow()
    try:
        async with unit_of_work(session):
            user = await (who or portal_user)(session, phone)
            trusted = await _is_trusted(session, user, requester)
            await check_send_limits(session, phone, requester, now, trusted=trusted)
            row = LoginCode(
                id=uuid.uuid4(),
                phone=phone,
                source_address=requester.address,
                device_key=requester.device_key,
                trusted_device=trusted,
                created_at=now,
                expires_at=now + CODE_LIFETIME,
            )
            if user is not None:
                code = new_code()
                row.user_id = user.id
                row.code_hash = _digest(secrets_, row.id, code)
                await queue_sms(
                    session,
                    phone,
                    sms_text(user.language, code, secrets_.public_url),
                    purpose="login_code",
                    dedupe_key=f"login_code:{row.id}",
                    seal_with=secrets_.secret_key,
                )
            session.add(row)
    except NumberHeldBack:
        await _alert_held_back(session, phone, now)
        raise
    return phone


async def _alert_held_back(session: AsyncSession, phone: str, now: datetime) -> None:
    """Someone keeps asking for codes for this number from browsers that never signed in with it: tell
    staff (audit trail and a warning in the log), at most once an hour per number."""
    async with unit_of_work(session):
        if not await claim_alert(session, phone, now):
            return
        log.warning(
            "login codes for %s are being held back: too many requests from unknown browsers", mask_phone(phone)
        )
        user = await portal_user(session, phone)
        if user is not None:
            record(session, Actor.system("auth.send_limits"), "auth.login_codes_held_back", "user", user.id)


async def trust_device(session: AsyncSession, user_id: uuid.UUID, device_key: str | None, now: datetime) -> None:
    """Remember the browser that just signed in (inside the sign-in transaction)."""
    if device_key is None:
        return
    device = await session.get(TrustedDevice, (user_id, device_key))
    if device is None:
        session.add(TrustedDevice(user_id=user_id, device_key=device_key, created_at=now, last_used_at=now))
    else:
        device.last_used_at = now


async def verify_login_code(
    session: AsyncSession, phone: str, code: str, secrets_: CodeSecrets, who: WhoMaySignIn | None = None
) -> User:
    """The user whose latest code this is, with the code spent. Does not commit on success: the caller
    creates the portal session in the same transaction. A wrong answer is committed at once."""
    now = utcnow()
    row_id = await session.scalar(
        select(LoginCode.id).where(LoginCode.phone == phone).order_by(LoginCode.created_at.desc()).limit(1)
    )
    failure = LoginFailed(
        "The code is wrong or has expired. Check the SMS or ask for a new code.", field="code", code="login.code_wrong"
    )
    if row_id is None:
        raise failure
    answer = "".join(ch for ch in (code or "") if ch.isdigit())
    right = LoginCode.code_hash == _digest(secrets_, row_id, answer)
    # One conditional statement checks the limit and spends an attempt, or the code, at once: parallel
    # guesses queue on the row (PostgreSQL's row lock, SQLite's write lock) and each sees the count its
    # predecessors left, so at most MAX_WRONG_ANSWERS guesses are ever compared, and a right code that
    # arrives after them is refused like a wrong one. A code of an unknown number (no hash) never matches.
    result = await session.execute(
        update(LoginCode)
        .where(
            LoginCode.id == row_id,
            LoginCode.used_at.is_(None),
            LoginCode.expires_at > now,
            LoginCode.failed_attempts < MAX_WRONG_ANSWERS,
        )
        .values(
            used_at=case((right, literal(now, LoginCode.used_at.type)), else_=None),
            failed_attempts=LoginCode.failed_attempts + case((right, 0), else_=1),
        )
        .returning(LoginCode.used_at, LoginCode.user_id)
        .execution_options(synchronize_session=False)
    )
    outcome = result.one_or_none()
    if outcome is None:  # spent, expired or out of attempts: nothing was compared
        await session.rollback()
        raise failure
    used_at, user_id = outcome
    if used_at is None:
        await session.commit()  # the wrong answer counts even though the caller rolls back
        raise failure
    user = await (who or portal_user)(session, phone)
    if user is None or user.id != user_id:
        # Access was withdrawn (or the number moved to someone else) after the code was sent.
        await session.rollback()
        raise failure
    return user
