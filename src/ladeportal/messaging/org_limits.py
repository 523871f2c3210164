"""Limits on the SMS that an organisation's staff can cause (invitations, resent invitations, alerts).

An administrator (or whoever took over their account) must not be able to turn the platform into an
SMS cannon: per organisation and number at most one SMS in 10 minutes and three a day, however often
the person is removed and added again; per organisation at most LADEPORTAL_ORG_SMS_PER_DAY a day.
Requests of one organisation take turns on a lock row (as the login-code limits do), so parallel
requests cannot all count the same history and all pass.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.auth.limits import take_turn
from ladeportal.messaging.models import OrgSmsSend
from ladeportal.settings import get_settings

# Per number, counted per purpose: invitations go to people who never asked for them, so they are
# scarce; alerts go to administrators who opted in and are grouped (at most one per 15 minutes), so a
# day with a flapping charger must not use up the budget an invitation needs, nor the other way round.
PER_RECIPIENT = {
    "invite": ((timedelta(minutes=10), 1), (timedelta(hours=24), 3)),
    "alert": ((timedelta(minutes=10), 1), (timedelta(hours=24), 24)),
}
DEFAULT_PER_RECIPIENT = PER_RECIPIENT["invite"]
WINDOW = timedelta(hours=24)
_CHUNK = 500


def recipient_key(org_id: uuid.UUID, phone: str) -> str:
    secret = get_settings().secret_key.get_secret_value().encode()
    return hmac.new(secret, f"org-sms:{org_id}:{phone}".encode(), hashlib.sha256).hexdigest()


async def admit_org_sms(
    session: AsyncSession, org_id: uuid.UUID, phones: Sequence[str], purpose: str, now: datetime
) -> list[bool]:
    """For each number (in order), whether its SMS may be sent; the admitted ones are recorded in the
    caller's transaction, so they count only if the SMS is queued too."""
    await take_turn(session, f"org-sms:{org_id}", now)
    since = now - WINDOW
    sent_today = int(
        await session.scalar(
            select(func.count())
            .select_from(OrgSmsSend)
            .where(OrgSmsSend.organization_id == org_id, OrgSmsSend.sent_at >= since)
        )
        or 0
    )
    keys = [recipient_key(org_id, phone) for phone in phones]
    history: dict[str, list[datetime]] = defaultdict(list)
    unique = sorted(set(keys))
    for start in range(0, len(unique), _CHUNK):
        rows = await session.execute(
            select(OrgSmsSend.recipient_key, OrgSmsSend.sent_at).where(
                OrgSmsSend.organization_id == org_id,
                OrgSmsSend.sent_at >= since,
                OrgSmsSend.purpose == purpose,
                OrgSmsSend.recipient_key.in_(unique[start : start + _CHUNK]),
            )
        )
        for key, sent_at in rows:
            history[key].append(sent_at)
    per_day = get_settings().org_sms_per_day
    per_recipient = PER_RECIPIENT.get(purpose, DEFAULT_PER_RECIPIENT)
    admitted: list[bool] = []
    records = []
    for key in keys:
        times = history[key]
        ok = sent_today < per_day and all(
            sum(1 for t in times if t > now - window) < most for window, most in per_recipient
        )
        if ok:
            times.append(now)
            sent_today += 1
            records.append({"organization_id": org_id, "recipient_key": key, "purpose": purpose, "sent_at": now})
        admitted.append(ok)
    for start in range(0, len(records), _CHUNK):
        await session.execute(insert(OrgSmsSend), records[start : start + _CHUNK])
    return admitted


async def forget_old_sends(session: AsyncSession, now: datetime) -> None:
    await session.execute(delete(OrgSmsSend).where(OrgSmsSend.sent_at < now - WINDOW))
