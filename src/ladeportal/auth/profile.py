"""Changes a signed-in person makes to their own profile."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.engine import unit_of_work
from ladeportal.errors import NotFound, ValidationFailed
from ladeportal.members.models import User
from ladeportal.members.services import LANGUAGES


async def set_language(session: AsyncSession, user_id: uuid.UUID, language: str) -> None:
    """The language for pages and for SMS (login codes, invitations) sent to this person."""
    if language not in LANGUAGES:
        raise ValidationFailed(
            f"Unknown language {language!r}.",
            field="language",
            code="member.language_unknown",
            params={"language": language, "languages": ", ".join(LANGUAGES)},
        )
    async with unit_of_work(session):
        user = await session.get(User, user_id)
        if user is None:
            raise NotFound("No such user.", code="user.not_found")
        user.language = language
