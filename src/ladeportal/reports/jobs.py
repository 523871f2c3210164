"""The periodic job that keeps the report tables up to date with the sessions (see aggregates.refresh)."""

from __future__ import annotations

import logging
from datetime import timedelta

from ladeportal.db.engine import Database
from ladeportal.jobs.periodic import periodic
from ladeportal.reports.aggregates import refresh

log = logging.getLogger(__name__)


@periodic("reports.refresh_aggregates", every=timedelta(minutes=1))
async def reports_job(db: Database) -> int:
    async with db.session() as session:
        count = await refresh(session)
    if count:
        log.info("reports: %d sessions re-aggregated", count)
    return count
