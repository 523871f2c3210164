"""A guest's mobile number, confirmed by an SMS code before anything is paid: it receives the receipt,
and the code proves the guest holds the phone. The same rows and send limits as the portal's login
codes (auth/limits.py), so a number or a network cannot be flooded through the guest pages either;
a guest code is bound to its own purpose and can never sign anyone in to the portal."""

from __future__ import annotations

import hashlib
import hmac
import uuid

from sqlalchemy import case, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.auth.codes import CODE_LIFETIME, MAX_WRONG_ANSWERS, CodeSecrets, LoginFailed, new_code
from ladeportal.auth.limits import Requester, check_send_limits
from ladeportal.auth.models import LoginCode
from ladeportal.db.base import utcnow
from ladeportal.db.engine import unit_of_work
from ladeportal.errors import ValidationFailed
from ladeportal.members.phone import normalise_mobile
from ladeportal.messaging.queue import queue_sms

SMS_TEXT = {
    "nb": "Koden din for lading hos {org} er {code}. Den gjelder i 10 minutter.",
    "en": "Your code for charging at {org} is {code}. It is valid for 10 minutes.",
    "sv": "Din kod för laddning hos {org} är {code}. Den gäller i 10 minuter.",
}


def _digest(secrets_: CodeSecrets, code_id: uuid.UUID, code: str) -> str:
    # "guest:" keeps these hashes apart from login codes: a guest code never matches a portal login.
    message = f"guest:{code_id}:{code}".encode()
    return hmac.new(secrets_.secret_key.encode(), message, hashlib.sha256).hexdigest()


async def request_guest_code(
    session: AsyncSession, raw_phone: str, requester: Requester, secrets_: CodeSecrets, *, org_name: str, language: str
) -> str:
    """Queue a code for the number (ValidationFailed when malformed, RateLimited past a limit)."""
    phone = normalise_mobile(raw_phone)
    now = utcnow()
    async with unit_of_work(session):
        await check_send_limits(session, phone, requester, now)
        row = LoginCode(
            id=uuid.uuid4(),
            phone=phone,
            source_address=requester.address,
            device_key=requester.device_key,
            trusted_device=False,
            created_at=now,
            expires_at=now + CODE_LIFETIME,
        )
        code = new_code()
        row.code_hash = _digest(secrets_, row.id, code)
        session.add(row)
        text = SMS_TEXT.get(language, SMS_TEXT["nb"]).format(org=org_name[:40], code=code)
        await queue_sms(
            session, phone, text, purpose="guest_code", dedupe_key=f"guest_code:{row.id}", seal_with=secrets_.secret_key
        )
    return phone


async def verify_guest_code(session: AsyncSession, raw_phone: str, code: str, secrets_: CodeSecrets) -> str:
    """The number, with its latest code spent; LoginFailed otherwise (a wrong answer is committed at
    once and counts against the code's five attempts). Leaves the success uncommitted for the caller."""
    failure = LoginFailed(
        "The code is wrong or has expired. Check the SMS or ask for a new code.", field="code", code="login.code_wrong"
    )
    try:
        phone = normalise_mobile(raw_phone)
    except ValidationFailed as exc:
        raise failure from exc
    now = utcnow()
    row_id = await session.scalar(
        select(LoginCode.id).where(LoginCode.phone == phone).order_by(LoginCode.created_at.desc()).limit(1)
    )
    if row_id is None:
        raise failure
    answer = "".join(ch for ch in (code or "") if ch.isdigit())
    right = LoginCode.code_hash == _digest(secrets_, row_id, answer)
    # As for login codes: one conditional statement checks the limit and spends an attempt or the code,
    # so parallel guesses cannot compare more than MAX_WRONG_ANSWERS answers.
    result = await session.execute(
        update(LoginCode)
        .where(
            LoginCode.id == row_id,
            LoginCode.user_id.is_(None),
            LoginCode.used_at.is_(None),
            LoginCode.expires_at > now,
            LoginCode.failed_attempts < MAX_WRONG_ANSWERS,
        )
        .values(
            used_at=case((right, literal(now, LoginCode.used_at.type)), else_=None),
            failed_attempts=LoginCode.failed_attempts + case((right, 0), else_=1),
        )
        .returning(LoginCode.used_at)
        .execution_options(synchronize_session=False)
    )
    outcome = result.one_or_none()
    if outcome is None:
        await session.rollback()
        raise failure
    if outcome[0] is None:
        await session.commit()
        raise failure
    return phone
