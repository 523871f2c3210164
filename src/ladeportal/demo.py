"""Demo data: a housing cooperative with two garages, chargers, residents in groups and RFID tags,
and last month's charging, finished and priced, for the month's invoice run.

Loading is idempotent: the first run creates everything and writes the chargers' generated
passwords to a JSON file (the simulator reads it); later runs change nothing, unless that file is
gone, in which case the chargers get fresh passwords so the simulator can connect again.
`prepare_demo_invoicing` (run by `make run` once the Stripe stand-in is up) registers the cooperative
at the stand-in and opens last month's invoice run, waiting for the finance user's approval.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.billing.deadlines import set_invoicing_switch_date
from ladeportal.billing.invoice_runs import open_run
from ladeportal.billing.onboarding import account_row, onboarding_link, sync_account
from ladeportal.chargers.models import ChargePoint
from ladeportal.chargers.services import activate_charge_point, add_charge_point, rotate_credential
from ladeportal.db.base import utcnow
from ladeportal.db.engine import Database
from ladeportal.guests.demo import open_demo_guest_charger
from ladeportal.members.groups import create_group, default_group
from ladeportal.members.models import IdTag, Membership, Role, User, UserGroup
from ladeportal.members.services import MemberInput, add_member, make_operator
from ladeportal.members.tags import TagInput, add_tag
from ladeportal.orgs.models import Organization
from ladeportal.orgs.services import OrganizationInput, SiteInput, create_organization, create_site
from ladeportal.platform.audit import Actor
from ladeportal.pricing.assignments import assign_group_plan, assign_public_plan
from ladeportal.pricing.services import create_plan
from ladeportal.pricing.spot_demo import load_demo_prices
from ladeportal.reports.demo_history import load_report_history
from ladeportal.sessions.models import ChargingSession, SessionState
from ladeportal.sessions.pricing_hook import price_finished_session
from ladeportal.settings import get_settings
from ladeportal.subscriptions.demo import load_demo_subscription
from ladeportal.terms.demo import load_demo_terms

ACTOR = Actor.system("demo")
DEMO_ORG_NUMBER = "923609016"  # valid mod-11 check digit; synthetic
ADMIN_PHONE = "+4791000001"
FINANCE_PHONE = "+4791000002"
OPERATOR_PHONE = "+4791000000"
CHARGERS = {"Garasje A": ["DEMO-A1", "DEMO-A2", "DEMO-A3"], "Garasje B": ["DEMO-B1", "DEMO-B2"]}
RESIDENTS = [
    ("+4791000011", "Kari Nordmann", "Beboere", "04A1B2C3", "A-01"),
    ("+4791000012", "Ola Nordmann", "Beboere", "04A1B2C4", "A-02"),
    ("+4791000013", "Ingrid Hansen", "Beboere", "04A1B2C5", "A-03"),
    ("+4791000014", "Per Johansen", "Beboere", "04A1B2C6", "A-04"),
    ("+4791000015", "Sara Olsen", "Beboere", "04A1B2C7", "B-01"),
    ("+4791000016", "Nils Larsen", "Beboere", "04A1B2C8", "B-02"),
    ("+4791000017", None, "Beboere", "04A1B2C9", "B-03"),
    ("+4791000018", "Maja Berg", "Styret", "04A1B2CA", "A-05"),
]
# The demo cooperative's invoicing switch date, counted from the day the demo is loaded.
SWITCH_AFTER = timedelta(days=30)
VISITOR_KEYS = [("0A0B0C01", "Gjestebrikke 1"), ("0A0B0C02", "Håndverker")]
# Last month's finished sessions per resident (priced when loaded), for the month's invoice run.
HISTORY_SESSIONS = 4


@dataclass
class DemoResult:
    created: bool
    organization_id: uuid.UUID
    credentials_file: str
    chargers: dict[str, str] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "organization_id": str(self.organization_id),
            "credentials_file": self.credentials_file,
            "chargers": sorted(self.chargers),
            "admin_phone": ADMIN_PHONE,
            "finance_phone": FINANCE_PHONE,
            "operator_phone": OPERATOR_PHONE,
            "tags": self.tags,
        }

    def describe(self) -> str:
        head = "demo data loaded" if self.created else "demo data already present"
        return (
            f"{head}: Solbakken Borettslag, 2 sites, {len(self.chargers)} chargers\n"
            f"  log in as the board's admin with {ADMIN_PHONE} (finance: {FINANCE_PHONE}, "
            f"platform staff: {OPERATOR_PHONE});\n"
            f"  the one-time code is printed in the server log (development SMS provider)\n"
            f"  charger passwords: {self.credentials_file}"
        )


RESIDENT_PRICES = {
    "prices_include_vat": True,
    "energy": {"type": "fixed", "price_per_kwh": "2.50"},
    "monthly_fee_per_member": "300",
}
DEMO_PRICE_AREA = "NO1"
GUEST_PRICES = {
    "prices_include_vat": True,
    "energy": {
        "type": "spot",
        "area": DEMO_PRICE_AREA,
        "factor": "1",
        "markup_per_kwh": "0.60",
        "fallback_per_kwh": "3.50",
        "floor_per_kwh": "1.00",
        "ceiling_per_kwh": "6.00",
    },
    "start_fee": "10",
    "time_fee": {"price_per_hour": "20", "grace_minutes": 240, "local_hours": None},
}


async def _load_prices(
    s: AsyncSession, org_id: uuid.UUID, groups: dict[str, UserGroup], default_group_id: uuid.UUID
) -> None:
    """Residents pay a fixed price and a parking fee; guests pay the spot price plus a markup."""
    # In force from before last month, whose sessions are loaded with the demo.
    since = _months_ago(2)
    residents = await create_plan(
        s,
        ACTOR,
        org_id,
        "Beboere",
        RESIDENT_PRICES,
        description="Fast pris for beboere med egen plass",
        effective_from=since,
    )
    guests = await create_plan(
        s,
        ACTOR,
        org_id,
        "Gjester",
        GUEST_PRICES,
        description="Spotpris med påslag, startavgift og tidsavgift etter 4 timer",
        effective_from=since,
    )
    for group_id in (groups["Beboere"].id, groups["Styret"].id, default_group_id):
        await assign_group_plan(s, ACTOR, org_id, group_id, residents.id)
    await assign_group_plan(s, ACTOR, org_id, groups["Gjester"].id, guests.id)
    await assign_public_plan(s, ACTOR, org_id, guests.id)


def _read_credentials(path: Path) -> dict[str, str] | None:
    if not path.exists():
        return None
    chargers: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return chargers


def _write_credentials(path: Path, chargers: dict[str, str], tags: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # The simulator's format: charge point id -> password. The tags it may swipe sit beside it.
    path.write_text(json.dumps(chargers, indent=2), encoding="utf-8")
    path.chmod(0o600)
    path.with_suffix(".tags").write_text(",".join(tags), encoding="utf-8")


async def load_demo(db: Database, credentials_file: str = "var/demo-chargers.json") -> DemoResult:
    path = Path(credentials_file)
    all_tags = [r[3] for r in RESIDENTS] + [k[0] for k in VISITOR_KEYS]
    async with db.session() as s:
        # The guests' spot plan needs prices of recent days and tomorrow: generated, so no network is needed.
        await load_demo_prices(s, ACTOR, DEMO_PRICE_AREA)
    async with db.session() as s:
        org = await s.scalar(select(Organization).where(Organization.org_number == DEMO_ORG_NUMBER))
        if org is not None:
            result = DemoResult(False, org.id, str(path), tags=all_tags)
            saved = _read_credentials(path)
            if saved is not None:
                result.chargers = saved
                return result
            for cp in (await s.scalars(select(ChargePoint).where(ChargePoint.organization_id == org.id))).all():
                result.chargers[cp.ocpp_id] = await rotate_credential(s, ACTOR, org.id, cp.id)
            _write_credentials(path, result.chargers, all_tags)
            return result

        org = await create_organization(
            s,
            ACTOR,
            OrganizationInput(
                legal_name="Solbakken Borettslag",
                org_number=DEMO_ORG_NUMBER,
                country="NO",
                kind="housing_cooperative",
                contact_name="Maja Berg",
                contact_email="styret@solbakken.example",
            ),
        )
        result = DemoResult(True, org.id, str(path), tags=all_tags)
        sites = {}
        for name, street in (("Garasje A", "Solbakkveien 1"), ("Garasje B", "Solbakkveien 7")):
            sites[name] = await create_site(
                s,
                ACTOR,
                org.id,
                SiteInput(
                    name=name,
                    price_area="NO1",
                    street=street,
                    postal_code="0580",
                    city="Oslo",
                    grid_limit_amps=125,
                    grid_phases=3,
                ),
            )
        grouped = {
            "Beboere": await create_group(s, ACTOR, org.id, "Beboere", "Beboere med egen parkeringsplass"),
            "Styret": await create_group(s, ACTOR, org.id, "Styret", "Styret i borettslaget"),
            "Gjester": await create_group(
                s, ACTOR, org.id, "Gjester", "Gjester og håndverkere", site_ids=[sites["Garasje A"].id]
            ),
        }
        charge_points: list[ChargePoint] = []
        for site_name, ids in CHARGERS.items():
            for ocpp_id in ids:
                new = await add_charge_point(
                    s, ACTOR, org.id, sites[site_name].id, ocpp_id, name=f"Lader {ocpp_id[-2:]}", connectors=2
                )
                await activate_charge_point(s, ACTOR, org.id, new.charge_point.id)
                result.chargers[ocpp_id] = new.password
                charge_points.append(new.charge_point)
        await add_member(
            s,
            ACTOR,
            org.id,
            MemberInput(
                phone=ADMIN_PHONE,
                name="Maja Admin",
                role=Role.org_admin,
                group_id=grouped["Styret"].id,
                email="maja@solbakken.example",
                send_invite=False,
            ),
        )
        await add_member(
            s,
            ACTOR,
            org.id,
            MemberInput(phone=FINANCE_PHONE, name="Finn Kasserer", role=Role.finance, send_invite=False),
        )
        residents: list[tuple[Membership, IdTag]] = []
        for phone, person, group, uid, spot in RESIDENTS:
            m = await add_member(
                s,
                ACTOR,
                org.id,
                MemberInput(phone=phone, name=person, group_id=grouped[group].id, parking_spot=spot, send_invite=False),
            )
            tag = await add_tag(s, ACTOR, org.id, TagInput(uid=uid, membership_id=m.id, label=f"Brikke {spot}"))
            residents.append((m, tag))
        for uid, label in VISITOR_KEYS:
            await add_tag(s, ACTOR, org.id, TagInput(uid=uid, group_id=grouped["Gjester"].id, label=label))
        await _load_prices(s, org.id, grouped, default_group_id=(await default_group(s, org.id)).id)
        await _last_month_sessions(s, org, residents, charge_points)
        await load_report_history(s, org, residents, charge_points, DEMO_PRICE_AREA)  # a year for the reports
        operator = await make_operator(s, ACTOR, OPERATOR_PHONE, "Plattform Drift")
        # Payments in the demo: the cooperative has a month to register with Stripe (the stand-in).
        await set_invoicing_switch_date(s, [org.id], utcnow().date() + SWITCH_AFTER, staff_id=operator.user_id)
        await load_demo_subscription(s, ACTOR, org.id)  # the platform's quarterly subscription
        await load_demo_terms(s, Actor(f"user:{OPERATOR_PHONE}", operator.user_id, is_operator=True))  # to accept
        _write_credentials(path, result.chargers, all_tags)
        return result


def _months_ago(months: int, time_zone: str = "Europe/Oslo") -> datetime:
    """The start of the month `months` before this one, in `time_zone`."""
    first = utcnow().astimezone(ZoneInfo(time_zone)).date().replace(day=1)
    for _ in range(months):
        first = (first - timedelta(days=1)).replace(day=1)
    return datetime(first.year, first.month, 1, tzinfo=ZoneInfo(time_zone))


def last_month(time_zone: str) -> date:
    return _months_ago(1, time_zone).date()


async def _last_month_sessions(
    s: AsyncSession, org: Organization, residents: list[tuple[Membership, IdTag]], chargers: list[ChargePoint]
) -> None:
    """Each resident's finished sessions of last month, priced by the product's pricing hook as a
    charger's StopTransaction would have priced them."""
    zone = ZoneInfo(org.time_zone)
    month = last_month(org.time_zone)
    rng = random.Random(12)  # the same demo every time
    meters = {cp.id: 2_000_000 + 100_000 * n for n, cp in enumerate(chargers)}
    for n, (membership, tag) in enumerate(residents):
        for k in range(HISTORY_SESSIONS):
            cp = chargers[(n + k) % len(chargers)]
            day = 2 + (n * 3 + k * 7) % 26
            started = datetime(month.year, month.month, day, 16 + k % 5, (7 * n) % 60, tzinfo=zone).astimezone(UTC)
            energy = rng.randint(4_000, 28_000)
            meter_start = meters[cp.id]
            meters[cp.id] += energy + rng.randint(0, 3_000)
            row = ChargingSession(
                organization_id=org.id,
                site_id=cp.site_id,
                charge_point_id=cp.id,
                connector_number=1 + k % 2,
                id_tag=tag.uid,
                tag_id=tag.id,
                membership_id=membership.id,
                group_id=membership.group_id,
                auth_status="Accepted",
                state=SessionState.stopped,
                started_at=started,
                stopped_at=started + timedelta(minutes=rng.randint(60, 360)),
                stop_reason="Local",
                meter_start_wh=meter_start,
                meter_stop_wh=meter_start + energy,
                meter_last_wh=meter_start + energy,
                segment_start_wh=meter_start,
                energy_carried_wh=0,
                energy_wh=energy,
                anomalies=[],
            )
            s.add(row)
            await s.flush()
            await price_finished_session(s, row)
    await s.commit()


async def prepare_demo_invoicing(db: Database, standin_url: str | None = None) -> str:
    """The demo cooperative ready to invoice: with the Stripe stand-in at `standin_url`, its Express
    account registered the way the portal registers it and onboarded through the stand-in's control
    (what its form's Submit does); and last month's invoice run opened, waiting for approval. Idempotent."""
    async with db.session() as s:
        org = await s.scalar(select(Organization).where(Organization.org_number == DEMO_ORG_NUMBER))
        admin_id = await s.scalar(select(User.id).where(User.phone == ADMIN_PHONE))
        await s.commit()
    if org is None or admin_id is None:
        return "no demo cooperative; run `ladeportal demo` first"
    ready = "Stripe: not registered"
    if standin_url:
        ready = await _onboard_at_standin(db, org.id, admin_id, standin_url.rstrip("/"))
        ready += await open_demo_guest_charger(db, org.id)  # a public charger for guests
    async with db.session() as s:
        run = await open_run(s, ACTOR, org.id, last_month(org.time_zone))
        await s.commit()
    month = run.period_month.strftime("%Y-%m")
    return f"{ready}; invoice run {month}: {run.state.value.replace('_', ' ')} (approve it as finance, {FINANCE_PHONE})"


async def _onboard_at_standin(db: Database, org_id: uuid.UUID, admin_id: uuid.UUID, standin_url: str) -> str:
    async with db.session() as s:
        row = await account_row(s, org_id)
        await s.commit()
    if row is None or not row.charges_enabled:
        payments = f"{get_settings().public_url.rstrip('/')}/portal/o/{org_id}/payments"
        await onboarding_link(db, org_id, actor_user_id=admin_id, return_url=payments, refresh_url=payments)
        async with db.session() as s:
            row = await account_row(s, org_id)
            await s.commit()
        assert row is not None and row.account_id is not None  # made by onboarding_link
        async with httpx.AsyncClient(timeout=10) as http:
            answer = await http.post(f"{standin_url}/_standin/accounts/{row.account_id}/complete_onboarding")
            answer.raise_for_status()
    for _ in range(40):  # the stand-in "verifies" the submitted details for a few seconds
        status = await sync_account(db, org_id)
        if status.charges_enabled:
            return "Stripe (stand-in): ready to receive payments"
        await asyncio.sleep(0.5)
    return "Stripe (stand-in): still verifying; the portal shows it ready shortly"


def main_invoicing(argv: list[str] | None = None) -> None:
    """`python -c 'from ladeportal.demo import main_invoicing; main_invoicing()' [stand-in URL]`."""
    args = sys.argv[1:] if argv is None else argv

    async def body() -> str:
        db = Database(get_settings().database_url)
        try:
            return await prepare_demo_invoicing(db, args[0] if args else None)
        finally:
            await db.dispose()

    print(asyncio.run(body()))
