"""Daily clean-up of old login codes and ended sessions."""

from __future__ import annotations

from datetime import timedelta

from ladeportal.auth.sessions import purge_expired
from ladeportal.db.engine import Database
from ladeportal.jobs.periodic import periodic


@periodic("auth.purge_expired", every=timedelta(hours=6))
async def purge_expired_job(db: Database) -> None:
    async with db.session() as session:
        await purge_expired(session)
