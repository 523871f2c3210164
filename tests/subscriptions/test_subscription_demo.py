"""The demo: the cooperative is on the default plan; staff run the current quarter; the admin pays the
invoice on the stand-in's page and the portal shows it paid."""

from __future__ import annotations

from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.base import utcnow
from ladeportal.db.engine import Database
from ladeportal.demo import load_demo
from ladeportal.orgs.models import Organization
from ladeportal.stripe_standin.server import StandinServer
from ladeportal.subscriptions.models import SubInvoiceState
from ladeportal.subscriptions.overview import owner_view
from ladeportal.subscriptions.quarters import current_quarter
from tests.subscriptions.test_subscription_run import deliver, rows
from tests.subscriptions.world import run_quarter


async def test_the_demo_cooperative_is_billed_and_pays(
    db: Database, session: AsyncSession, client: httpx.AsyncClient, standin: StandinServer, tmp_path: Path
) -> None:
    result = await load_demo(db, str(tmp_path / "chargers.json"))
    org = await session.get(Organization, result.organization_id)
    assert org is not None
    before = await owner_view(session, org, utcnow())
    assert before.plan is not None and before.plan.name == "Standard" and before.quote is not None
    assert before.quantity == len(result.chargers)

    quarter = str(current_quarter(utcnow()))
    await run_quarter(db, session, quarter)
    (row,) = [r for r in await rows(session, quarter) if r.organization_id == org.id]
    assert row.state == SubInvoiceState.open and row.total_minor == before.quote.total_minor
    standin.pay_invoice(row.stripe_invoice_id or "")
    await deliver(db, client, standin, row.stripe_invoice_id or "")
    session.expire_all()  # read what the webhook's task stored
    org = await session.get(Organization, result.organization_id)
    assert org is not None
    after = await owner_view(session, org, utcnow())
    assert [i.state for i in after.invoices] == [SubInvoiceState.paid]
    assert str(after.quarter) != quarter  # the next invoice is next quarter's
