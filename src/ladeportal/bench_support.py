"""Provisioning for the gateway benchmark: a migrated database with many active chargers.

Bulk Core inserts with one password hash shared by all chargers (hashing 10,000 times with distinct
salts would be realistic but only slows the set-up; the gateway verifies each handshake either way).
"""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import insert

from ladeportal.chargers.credentials import hash_password
from ladeportal.chargers.models import ChargePoint, CommissioningState, Connector
from ladeportal.db.base import utcnow
from ladeportal.db.engine import Database
from ladeportal.db.migrate import upgrade
from ladeportal.orgs.services import OrganizationInput, SiteInput, create_organization, create_site
from ladeportal.platform.audit import Actor

_BATCH = 1000


def provision(database_url: str, ids: list[str], password: str) -> None:
    """Migrate `database_url` and create one organisation, one site and active chargers `ids`
    (two connectors each), all with `password`."""
    upgrade(database_url)
    asyncio.run(_provision(database_url, ids, password))


async def _provision(database_url: str, ids: list[str], password: str) -> None:
    db = Database(database_url)
    actor = Actor.system("bench")
    try:
        async with db.session() as session:
            org = await create_organization(
                session, actor, OrganizationInput(legal_name=f"Bench {uuid.uuid4().hex[:6]}", org_number=_org_number())
            )
            site = await create_site(session, actor, org.id, SiteInput(name="Bench site", price_area="NO1"))
        credential = hash_password(password)
        now = utcnow()
        async with db.engine.begin() as conn:
            for start in range(0, len(ids), _BATCH):
                chunk = ids[start : start + _BATCH]
                cps = [
                    {
                        "id": uuid.uuid4(),
                        "organization_id": org.id,
                        "site_id": site.id,
                        "ocpp_id": ident,
                        "credential_hash": credential,
                        "commissioning_state": CommissioningState.active,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for ident in chunk
                ]
                await conn.execute(insert(ChargePoint), cps)
                await conn.execute(
                    insert(Connector),
                    [
                        {
                            "id": uuid.uuid4(),
                            "charge_point_id": cp["id"],
                            "number": n,
                            "status": "Unknown",
                            "created_at": now,
                            "updated_at": now,
                        }
                        for cp in cps
                        for n in (1, 2)
                    ],
                )
    finally:
        await db.dispose()


def _org_number() -> str:
    """A random Norwegian organisation number with a valid mod-11 check digit."""
    weights = (3, 2, 7, 6, 5, 4, 3, 2)
    while True:
        base = "9" + f"{uuid.uuid4().int % 10**7:07d}"
        remainder = sum(int(d) * w for d, w in zip(base, weights, strict=True)) % 11
        check = 0 if remainder == 0 else 11 - remainder
        if check != 10:
            return base + str(check)
