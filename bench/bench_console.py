"""Benchmark: the operator console's list over 5,000 organisations (1-5 chargers, 3-12 members and
20 audit events each, a third with a Stripe account, half having accepted the current terms).

Times `platform.console.console_page` (what the page asks the database) for the first page, a later
page, a search and each filter group, as the median of 7 runs after one warm-up, and counts the
statements per page (one per column group, whatever the number of organisations).

    PYTHONPATH=. .venv/bin/python bench/bench_console.py                  # SQLite in a temp dir
    PYTHONPATH=. .venv/bin/python bench/bench_console.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/lp_bench_console

A PostgreSQL database named by --database-url is dropped and created afresh.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.engine import make_url
from tests.query_count import statements_sent

from ladeportal.billing.models import StripeAccount
from ladeportal.chargers.models import ChargePoint, CommissioningState
from ladeportal.db.engine import Database
from ladeportal.db.migrate import upgrade
from ladeportal.members.models import Membership, MembershipState, Role, User
from ladeportal.orgs.models import Organization, OrgKind, Site
from ladeportal.platform.console import ConsoleQuery, console_page
from ladeportal.platform.models import AuditEvent
from ladeportal.terms.models import AfterDeadline, TermsAcceptance, TermsKind, TermsVersion

LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)
SCENARIOS = {
    "first page": ConsoleQuery(),
    "page 40": ConsoleQuery(page=40),
    "search name": ConsoleQuery(q="borettslag 04"),
    "search number": ConsoleQuery(q="90000123"),
    "chargers offline": ConsoleQuery(chargers="offline"),
    "no members": ConsoleQuery(members="no"),
    "stripe action needed": ConsoleQuery(stripe="action_needed"),
    "terms not accepted": ConsoleQuery(terms="waiting"),
    "inactive 90 days": ConsoleQuery(activity="inactive"),
    "subscription none": ConsoleQuery(subscription="none"),
    "three filters": ConsoleQuery(chargers="offline", terms="waiting", stripe="not_started"),
}


async def _fresh_pg(url: str) -> None:
    import asyncpg

    parsed = make_url(url)
    admin = await asyncpg.connect(
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        database="postgres",
    )
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{parsed.database}"')
    finally:
        await admin.close()


def _stamp(row: dict[str, object]) -> dict[str, object]:
    return {**row, "created_at": LONG_AGO, "updated_at": LONG_AGO}


async def provision(db: Database, orgs: int) -> dict[str, int]:
    rng = random.Random(15)
    now = datetime.now(UTC)
    version_id = uuid.uuid4()
    tables: dict[type, list[dict[str, object]]] = {
        t: [] for t in (Organization, Site, ChargePoint, User, Membership, StripeAccount, AuditEvent, TermsAcceptance)
    }
    admin_user = uuid.uuid4()
    tables[User].append(_stamp({"id": admin_user, "phone": "+4790000000", "language": "nb"}))
    for n in range(orgs):
        org_id, site_id = uuid.uuid4(), uuid.uuid4()
        tables[Organization].append(
            _stamp(
                {
                    "id": org_id,
                    "kind": OrgKind.housing_cooperative,
                    "legal_name": f"Borettslag {n:05d}",
                    "org_number": f"9{n:08d}",
                    "country": "NO",
                    "currency": "NOK",
                    "vat_rate_bp": 2500,
                    "time_zone": "Europe/Oslo",
                }
            )
        )
        tables[Site].append(
            _stamp(
                {
                    "id": site_id,
                    "organization_id": org_id,
                    "name": "Garasje",
                    "time_zone": "Europe/Oslo",
                    "price_area": "NO1",
                    "grid_phases": 3,
                }
            )
        )
        for c in range(rng.randint(1, 5)):
            seen = now - timedelta(seconds=rng.choice([30, 60, 90, 7200]))
            tables[ChargePoint].append(
                _stamp(
                    {
                        "id": uuid.uuid4(),
                        "organization_id": org_id,
                        "site_id": site_id,
                        "ocpp_id": f"CP-{n:05d}-{c}",
                        "commissioning_state": CommissioningState.active,
                        "last_seen_at": seen,
                    }
                )
            )
        for m in range(rng.randint(0, 12) if n % 50 else 0):
            user_id = uuid.uuid4()
            tables[User].append(_stamp({"id": user_id, "phone": f"+479{n:05d}{m:02d}", "language": "nb"}))
            tables[Membership].append(
                _stamp(
                    {
                        "id": uuid.uuid4(),
                        "organization_id": org_id,
                        "user_id": user_id,
                        "role": Role.org_admin if m == 0 else Role.member,
                        "state": MembershipState.active,
                        "invite_count": 0,
                    }
                )
            )
        if n % 3 == 0:
            tables[StripeAccount].append(
                _stamp(
                    {
                        "id": uuid.uuid4(),
                        "organization_id": org_id,
                        "country": "NO",
                        "business_type": "non_profit",
                        "state": rng.choice(["in_progress", "action_needed", "ready"]),
                        "currently_due": [],
                        "past_due": [],
                        "eventually_due": [],
                        "pending_verification": [],
                    }
                )
            )
        age = 200 if n % 7 == 0 else 5
        for e in range(20):
            tables[AuditEvent].append(
                {
                    "organization_id": org_id,
                    "at": now - timedelta(days=age + e),
                    "actor_label": "bench",
                    "action": "bench.event",
                    "entity": "organization",
                    "entity_id": str(org_id),
                }
            )
        if n % 2 == 0:
            tables[TermsAcceptance].append(
                {
                    "id": uuid.uuid4(),
                    "version_id": version_id,
                    "organization_id": org_id,
                    "accepted_by_user_id": admin_user,
                    "accepted_at": now,
                    "ip_address": "127.0.0.1",
                }
            )
    async with db.session() as session:
        await session.execute(
            insert(TermsVersion),
            [
                _stamp(
                    {
                        "id": version_id,
                        "kind": TermsKind.service,
                        "label": "2027-1",
                        "title_nb": "Vilkår",
                        "title_en": "Terms",
                        "body_nb": "x",
                        "body_en": "x",
                        "party_name": "Ladeportal AS",
                        "party_org_number": "923609016",
                        "effective_on": date(2027, 1, 1),
                        "accept_by": date(2027, 1, 1),
                        "after_deadline": AfterDeadline.remind,
                        "published_at": now,
                    }
                )
            ],
        )
        for table in (Organization, Site, ChargePoint, User, Membership, StripeAccount, TermsAcceptance, AuditEvent):
            rows = tables[table]
            for start in range(0, len(rows), 2000):
                await session.execute(insert(table), rows[start : start + 2000])
        await session.commit()
    if db.engine.dialect.name == "postgresql":
        # Statistics for the planner, as autovacuum would have them after a bulk load.
        async with db.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.exec_driver_sql("ANALYZE")
    return {t.__tablename__: len(rows) for t, rows in tables.items()}  # type: ignore[attr-defined]


async def run(url: str, orgs: int) -> None:
    if url.startswith("postgresql"):
        await _fresh_pg(url)
    await asyncio.to_thread(upgrade, url)
    db = Database(url)
    try:
        counts = await provision(db, orgs)
        print(f"{db.engine.dialect.name}: " + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
        for name, query in SCENARIOS.items():
            times = []
            for attempt in range(8):
                async with db.session() as session:
                    with statements_sent(db.engine) as sent:
                        began = time.perf_counter()
                        page = await console_page(session, query, 60)
                        elapsed = time.perf_counter() - began
                if attempt:
                    times.append(elapsed)
            print(
                f"  {name:22} {1000 * statistics.median(times):7.1f} ms  "
                f"{page.total:5d} matching, {len(page.rows):2d} shown, {len(sent)} statements"
            )
    finally:
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--orgs", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        asyncio.run(run(url, args.orgs))


if __name__ == "__main__":
    main()
