"""End to end over a real websocket: a charger starts and stops transactions through the OCPP gateway,
and every stopped session carries the stored breakdown the engine gives for its plan."""

from __future__ import annotations

from datetime import date
from typing import Any

from pricing_db_support import GUESTS, RESIDENTS, SPOT, make_place, utc
from sqlalchemy import select
from tests.factories import ACTOR, make_charger, make_member, make_tag
from tests.ocpp.conftest import Charger, charger, running_gateway

from ladeportal.db.engine import Database
from ladeportal.members.groups import create_group
from ladeportal.pricing.assignments import assign_group_plan, assign_public_plan
from ladeportal.pricing.engine import price_session
from ladeportal.pricing.models import SessionPricing
from ladeportal.pricing.plan_codec import plan_from_json
from ladeportal.pricing.services import create_plan
from ladeportal.pricing.snapshot import breakdown_json
from ladeportal.pricing.spot_jobs import fetch_due_prices
from ladeportal.pricing.spot_prices import SpotPriceClient
from ladeportal.pricing.spot_store import load_prices
from ladeportal.sessions.models import ChargingSession

BREAKDOWN_KEYS = (
    "currency",
    "vat_rate_bp",
    "prices_include_vat",
    "energy_wh",
    "net",
    "vat",
    "total",
    "lines",
    "warnings",
    "needs_review",
)


def at(moment: Any) -> str:
    return moment.isoformat().replace("+00:00", "Z")


async def transaction(
    c: Charger,
    tag: str,
    connector: int,
    start: Any,
    stop: Any,
    meter_start: int,
    samples: list[tuple[Any, int]],
    meter_stop: int,
) -> int:
    started = await c.ok(
        "StartTransaction", {"connectorId": connector, "idTag": tag, "meterStart": meter_start, "timestamp": at(start)}
    )
    tx = int(started["transactionId"])
    for moment, register in samples:
        await c.ok(
            "MeterValues",
            {
                "connectorId": connector,
                "transactionId": tx,
                "meterValue": [{"timestamp": at(moment), "sampledValue": [{"value": str(register), "unit": "Wh"}]}],
            },
        )
    await c.ok("StopTransaction", {"transactionId": tx, "meterStop": meter_stop, "timestamp": at(stop)})
    return tx


async def stored(db: Database, tx: int) -> ChargingSession:
    async with db.session() as s:
        row = await s.get(ChargingSession, tx)
    assert row is not None and row.cost_snapshot is not None
    return row


def engine_result(
    definition: dict[str, Any], readings: list[tuple[Any, int]], start: Any, stop: Any, spot: Any = ()
) -> dict[str, Any]:
    plan = plan_from_json({**definition, "vat_rate_bp": 2500, "currency": "NOK"}).plan
    return breakdown_json(
        price_session(
            plan,
            meter_readings=readings,
            connected_at=start,
            disconnected_at=stop,
            time_zone="Europe/Oslo",
            spot_prices=spot,
        )
    )


def without_review(breakdown: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in breakdown.items() if k != "needs_review"}


async def test_residents_guests_and_members_without_a_plan(db: Database) -> None:
    async with db.session() as s:
        place = await make_place(s, tag_uid="0A0B0C01")
        cp = await make_charger(s, place.site, "CP-PRICING")
        jan = utc(2026, 1, 1)
        residents = await create_plan(s, ACTOR, place.org.id, "Beboere", RESIDENTS, effective_from=jan)
        guests = await create_plan(s, ACTOR, place.org.id, "Gjester", GUESTS, effective_from=jan)
        await assign_group_plan(s, ACTOR, place.org.id, place.residents.id, residents.id)
        await assign_public_plan(s, ACTOR, place.org.id, guests.id)
        staff = await create_group(s, ACTOR, place.org.id, "Ansatte")
        await make_tag(s, place.org, await make_member(s, place.org, group_id=staff.id), uid="0A0B0C02")
    # 20:00Z is 21:00 in Oslo (day price 2.00); the night price (1.00) starts at 22:00 Oslo = 21:00Z.
    start, switch, stop = utc(2026, 3, 2, 20), utc(2026, 3, 2, 21), utc(2026, 3, 2, 22)
    async with running_gateway(db) as gw, charger(gw.url, "CP-PRICING", cp.password) as c:
        resident_tx = await transaction(c, "0A0B0C01", 1, start, stop, 1000, [(switch, 6000)], 9000)
        guest_tx = await transaction(c, "FFEE0001", 2, utc(2026, 3, 3, 10), utc(2026, 3, 3, 12, 30), 9000, [], 11000)
        staff_tx = await transaction(c, "0A0B0C02", 1, utc(2026, 3, 4, 10), utc(2026, 3, 4, 11), 0, [], 4000)

    resident = await stored(db, resident_tx)
    snap = resident.cost_snapshot or {}
    # By hand: 5 kWh by day at kr 2,00 + 3 kWh at night at kr 1,00 + kr 5 start fee, all incl. 25 % VAT.
    assert [(line["kind"], line["label"], line["gross"], line["net"]) for line in snap["lines"]] == [
        ("energy", "day", 1000, 800),
        ("energy", "night", 300, 240),
        ("start_fee", "", 500, 400),
    ]
    assert (snap["net"], snap["vat"], snap["total"], snap["needs_review"]) == (1440, 360, 1800, False)
    expected = engine_result(RESIDENTS, [(start, 0), (switch, 5000), (stop, 8000)], start, stop)
    assert {k: snap[k] for k in BREAKDOWN_KEYS} == expected
    assert (resident.cost_total_minor, resident.currency) == (1800, "NOK")
    assert snap["plan"]["name"] == "Beboere" and snap["plan"]["version"] == 1
    assert snap["plan"]["audience"] == "private" and snap["plan"]["definition"]["monthly_fee_per_member"] == "300"

    guest = await stored(db, guest_tx)
    # 2 kWh at kr 4,50 = 900 øre; 150 min connected, 60 free, 90 min at kr 30/h = 4500 øre; start fee 1000 øre.
    assert guest.cost_total_minor == 6400
    guest_snap = guest.cost_snapshot or {}
    assert guest_snap["plan"]["audience"] == "public"
    # An unknown card is priced but looked at: the session itself carries the tag_not_accepted anomaly.
    assert guest_snap["session_anomalies"] == ["tag_not_accepted"] and guest_snap["needs_review"] is True
    assert {k: guest_snap[k] for k in BREAKDOWN_KEYS if k != "needs_review"} == without_review(
        engine_result(
            GUESTS,
            [(utc(2026, 3, 3, 10), 0), (utc(2026, 3, 3, 12, 30), 2000)],
            utc(2026, 3, 3, 10),
            utc(2026, 3, 3, 12, 30),
        )
    )

    unpriced = await stored(db, staff_tx)
    assert unpriced.cost_total_minor == 0
    assert (unpriced.cost_snapshot or {})["status"] == "no_price_plan"
    assert (unpriced.cost_snapshot or {})["needs_review"] is True
    async with db.session() as s:
        records = {r.session_id: r for r in (await s.scalars(select(SessionPricing))).all()}
    assert records[resident_tx].plan_id == residents.id and records[staff_tx].plan_id is None


async def test_spot_plan_uses_stored_prices_and_flags_missing_ones(
    db: Database, spot_api: tuple[str, list[str]]
) -> None:
    async with db.session() as s:
        place = await make_place(s, tag_uid="0A0B0C03")
        cp = await make_charger(s, place.site, "CP-SPOT")
        plan = await create_plan(s, ACTOR, place.org.id, "Spot", SPOT, effective_from=utc(2025, 1, 1))
        await assign_group_plan(s, ACTOR, place.org.id, place.residents.id, plan.id)
    async with SpotPriceClient(f"{spot_api[0]}/api/v1/prices") as client:
        await fetch_due_prices(db, client, now=utc(2025, 10, 27, 8))
    start, middle, stop = utc(2025, 10, 27, 9, 50), utc(2025, 10, 27, 10, 5), utc(2025, 10, 27, 10, 35)
    async with running_gateway(db) as gw, charger(gw.url, "CP-SPOT", cp.password) as c:
        priced_tx = await transaction(c, "0A0B0C03", 1, start, stop, 500, [(middle, 1500)], 3500)
        missing_tx = await transaction(c, "0A0B0C03", 1, utc(2025, 10, 28, 9), utc(2025, 10, 28, 10), 3500, [], 5500)

    async with db.session() as s:
        prices = await load_prices(s, "NO1", "NOK", start, stop)
    assert date(2025, 10, 27) == prices[0].start.date() and len(prices) == 4  # quarter-hours 09:45 to 10:45
    snap = (await stored(db, priced_tx)).cost_snapshot or {}
    expected = engine_result(SPOT, [(start, 0), (middle, 1000), (stop, 3000)], start, stop, prices)
    assert {k: snap[k] for k in BREAKDOWN_KEYS} == expected
    assert snap["needs_review"] is False and len(snap["spot_prices"]) == 4
    assert sum(line["energy_wh"] for line in snap["lines"]) == 3000

    missing = (await stored(db, missing_tx)).cost_snapshot or {}
    assert missing["needs_review"] is True
    assert {w["code"] for w in missing["warnings"]} == {"spot_price_missing"}
    # Fallback kr 2,00 excl. VAT for 2 kWh: 400 øre net, 500 øre with VAT.
    assert (missing["net"], missing["total"]) == (400, 500)
