"""Shared steps for the auth tests: a staff member, and the code a person reads on their phone."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.auth.codes import CodeSecrets
from ladeportal.jobs.models import OutboxTask
from ladeportal.members.models import Role
from ladeportal.messaging.sealing import unseal
from ladeportal.settings import get_settings
from tests.factories import make_member, make_org, mobile_number


def code_secrets() -> CodeSecrets:
    settings = get_settings()
    return CodeSecrets(settings.secret_key.get_secret_value(), settings.public_url)


async def staff_member(session: AsyncSession) -> str:
    org = await make_org(session)
    phone = mobile_number()
    await make_member(session, org, phone, role=Role.org_admin)
    return phone


async def latest_code(session: AsyncSession, phone: str) -> str:
    payloads = (
        await session.scalars(
            select(OutboxTask.payload).where(OutboxTask.kind == "sms.send").order_by(OutboxTask.id.desc())
        )
    ).all()
    await session.commit()
    for payload in payloads:
        opened = unseal(code_secrets().secret_key, payload)
        if opened["to"] == phone:
            found = re.search(r"\b(\d{6})\b", opened["text"])
            assert found is not None
            return found.group(1)
    raise AssertionError(f"no SMS to {phone}")
