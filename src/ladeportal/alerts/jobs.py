"""The periodic job: detect, then notify, one organisation at a time in its own transactions, so one
organisation's trouble (a bad e-mail address, a lock wait) never holds back another's alerts."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from ladeportal.alerts.detection import detect_alerts, live_organizations
from ladeportal.alerts.notification import notify_admins
from ladeportal.db.base import utcnow
from ladeportal.db.engine import Database
from ladeportal.jobs.periodic import periodic

log = logging.getLogger(__name__)


@dataclass
class AlertRun:
    opened: int = 0
    resolved: int = 0
    messages: int = 0
    failed: int = 0


async def run_alerts(db: Database, *, now: datetime | None = None) -> AlertRun:
    now = now or utcnow()
    report = AlertRun()
    async with db.session() as session:
        org_ids = await live_organizations(session)
    for org_id in org_ids:
        try:
            async with db.session() as session:
                found = await detect_alerts(session, org_id, now)
                told = await notify_admins(session, org_id, now)
        except Exception:
            report.failed += 1
            log.exception("alerts of organisation %s not brought up to date", org_id)
            continue
        report.opened += found.opened
        report.resolved += found.resolved
        report.messages += len(told)
    return report


@periodic("alerts.detect_and_notify", every=timedelta(minutes=1))
async def alerts_job(db: Database) -> None:
    report = await run_alerts(db)
    if report.failed:
        log.warning("alerts: %d organisations failed", report.failed)
