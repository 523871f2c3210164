"""One-time login codes: requested by mobile number, sent by SMS through the outbox, used once.

The code has 6 digits from `secrets`, lives 10 minutes, and allows 5 wrong answers; a new request
replaces the previous code. With at most 10 codes per number a day, a guesser's chance per day is
10 * 5 / 10**6. Whether the number belongs to anyone, the caller sees exactly the same answer.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.auth.limits import check_send_limits
from ladeportal.auth.models import LoginCode
from ladeportal.db.base import utcnow
from ladeportal.db.engine import unit_of_work
from ladeportal.errors import DomainError
from ladeportal.members.models import Membership, MembershipState, Role, User
from ladeportal.members.phone import normalise_mobile
from ladeportal.messaging.queue import queue_sms
from ladeportal.platform.models import OperatorAccount

CODE_DIGITS = 6
CODE_LIFETIME = timedelta(minutes=10)
MAX_WRONG_ANSWERS = 5
PORTAL_ROLES = (Role.org_admin, Role.finance)

SMS_TEXT = {
    "nb": "Din innloggingskode for Ladeportal er {code}. Den gjelder i 10 minutter.",
    "en": "Your Ladeportal login code is {code}. It is valid for 10 minutes.",
    "sv": "Din inloggningskod för Ladeportal är {code}. Den gäller i 10 minuter.",
}


class LoginFailed(DomainError):
    code = "login_failed"


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
        select(Membership.id).where(
            Membership.user_id == user.id, Membership.role.in_(PORTAL_ROLES),
            Membership.removed_at.is_(None), Membership.state != MembershipState.blocked,
        ).limit(1)
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


async def request_login_code(
    session: AsyncSession, raw_phone: str, source_address: str, secrets_: CodeSecrets
) -> str:
    """Record the request and queue an SMS when the number may sign in. Returns the normalised number.

    Raises ValidationFailed for a malformed number and RateLimited past a send limit."""
    phone = normalise_mobile(raw_phone)
    now = utcnow()
    async with unit_of_work(session):
        await check_send_limits(session, phone, source_address, now)
        user = await portal_user(session, phone)
        row = LoginCode(id=uuid.uuid4(), phone=phone, source_address=source_address[:45],
                        created_at=now, expires_at=now + CODE_LIFETIME)
        if user is not None:
            code = new_code()
            row.user_id = user.id
            row.code_hash = _digest(secrets_, row.id, code)
            await queue_sms(session, phone, sms_text(user.language, code, secrets_.public_url),
                            purpose="login_code", dedupe_key=f"login_code:{row.id}")
        session.add(row)
    return phone


async def verify_login_code(session: AsyncSession, phone: str, code: str, secrets_: CodeSecrets) -> User:
    """The user whose latest code this is, with the code spent. Does not commit on success: the caller
    creates the portal session in the same transaction. A wrong answer is committed at once."""
    now = utcnow()
    row = await session.scalar(
        select(LoginCode).where(LoginCode.phone == phone).order_by(LoginCode.created_at.desc()).limit(1)
    )
    failure = LoginFailed("The code is wrong or has expired. Check the SMS or ask for a new code.", field="code")
    if row is None or row.used_at is not None or row.expires_at <= now or row.failed_attempts >= MAX_WRONG_ANSWERS:
        raise failure
    answer = "".join(ch for ch in (code or "") if ch.isdigit())
    if row.code_hash is None or row.user_id is None or not hmac.compare_digest(
        row.code_hash, _digest(secrets_, row.id, answer)
    ):
        # Counted in the WHERE clause too, so parallel guesses cannot exceed the limit.
        await session.execute(
            update(LoginCode).where(LoginCode.id == row.id, LoginCode.failed_attempts < MAX_WRONG_ANSWERS)
            .values(failed_attempts=LoginCode.failed_attempts + 1)
        )
        await session.commit()
        raise failure
    # Compare-and-set: of two requests racing with the right code, exactly one signs in.
    spent = await session.execute(
        update(LoginCode).where(LoginCode.id == row.id, LoginCode.used_at.is_(None)).values(used_at=now)
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        await session.rollback()
        raise failure
    user = await portal_user(session, phone)
    if user is None or user.id != row.user_id:
        # Access was withdrawn (or the number moved to someone else) after the code was sent.
        await session.rollback()
        raise failure
    return user
