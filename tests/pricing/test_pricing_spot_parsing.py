"""Price files are accepted only when they cover their local day exactly."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from pricing_support import SPOT_FIXTURES

from ladeportal.pricing.spot_price_parsing import SpotPriceFormatError, parse_day_ahead, parse_price_file


def fixture_rows(name: str) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = json.loads((SPOT_FIXTURES / name).read_text())
    return rows


@pytest.mark.parametrize(
    ("name", "count"),
    [
        ("2025-03-30_NO1.json", 23),
        ("2025-09-30_NO1.json", 24),
        ("2025-10-26_NO1.json", 100),
        ("2025-10-27_NO1.json", 96),
        ("2025-10-27_NO4.json", 96),
        ("2025-10-27_SE3.json", 96),
    ],
)
def test_every_sample_file_parses(name: str, count: int) -> None:
    day, area = name.removesuffix(".json").split("_")
    parsed = parse_day_ahead((SPOT_FIXTURES / name).read_bytes(), area=area, day=date.fromisoformat(day))
    assert len(parsed.prices) == count
    assert all(isinstance(p.price_per_kwh, Decimal) for p in parsed.prices)


def test_prices_are_exact_decimals() -> None:
    rows = fixture_rows("2025-09-30_NO1.json")
    rows[0]["NOK_per_kWh"] = 0.1
    parsed = parse_day_ahead(json.dumps(rows), area="NO1", day=date(2025, 9, 30))
    assert parsed.prices[0].price_per_kwh == Decimal("0.1")


def test_negative_prices_are_accepted() -> None:
    rows = fixture_rows("2025-09-30_NO1.json")
    rows[3]["NOK_per_kWh"] = -0.01234
    parsed = parse_day_ahead(json.dumps(rows), area="NO1", day=date(2025, 9, 30))
    assert parsed.prices[3].price_per_kwh == Decimal("-0.01234")


def _broken(change: str) -> list[dict[str, object]]:
    rows = fixture_rows("2025-10-27_NO1.json")
    if change == "missing interval":
        del rows[40]
    elif change == "missing last":
        rows.pop()
    elif change == "string price":
        rows[5]["NOK_per_kWh"] = "0.5"
    elif change == "boolean price":
        rows[5]["NOK_per_kWh"] = True
    elif change == "no offset":
        rows[5]["time_start"] = "2025-10-27T01:15:00"
    elif change == "bad time":
        rows[5]["time_end"] = "quarter past one"
    elif change == "reversed":
        rows[5]["time_start"], rows[5]["time_end"] = rows[5]["time_end"], rows[5]["time_start"]
    elif change == "not an object":
        rows[5] = [1, 2]  # type: ignore[call-overload]
    return rows


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("missing interval", "interval 41 does not start where the one before ends"),
        ("missing last", "not the local day"),
        ("string price", "interval 6 has no numeric NOK_per_kWh"),
        ("boolean price", "interval 6 has no numeric NOK_per_kWh"),
        ("no offset", "has no UTC offset"),
        ("bad time", "is not an ISO 8601 time"),
        ("reversed", "ends before it starts"),
        ("not an object", "interval 6 is not an object"),
    ],
)
def test_broken_files_are_refused(change: str, message: str) -> None:
    with pytest.raises(SpotPriceFormatError, match=message):
        parse_day_ahead(json.dumps(_broken(change)), area="NO1", day=date(2025, 10, 27))


def test_the_wrong_day_is_refused() -> None:
    body = (SPOT_FIXTURES / "2025-10-27_NO1.json").read_bytes()
    with pytest.raises(SpotPriceFormatError, match="not the local day"):
        parse_day_ahead(body, area="NO1", day=date(2025, 10, 26))


@pytest.mark.parametrize("body", ["[]", "{}", "null"])
def test_empty_or_non_list_bodies_are_refused(body: str) -> None:
    with pytest.raises(SpotPriceFormatError, match="non-empty JSON list"):
        parse_day_ahead(body, area="NO1", day=date(2025, 10, 27))


def test_unknown_area_and_currency_are_caller_errors() -> None:
    with pytest.raises(ValueError, match="unknown price area"):
        parse_day_ahead("[]", area="NO0", day=date(2025, 10, 27))
    with pytest.raises(ValueError, match="not 'SEK'"):
        parse_day_ahead("[]", area="NO3", day=date(2025, 10, 27), currency="SEK")
    with pytest.raises(ValueError, match="not 'NOK'"):
        parse_day_ahead("[]", area="SE3", day=date(2025, 10, 27), currency="NOK")


def test_swedish_files_are_read_in_sek_by_default() -> None:
    parsed = parse_day_ahead((SPOT_FIXTURES / "2025-10-27_SE3.json").read_bytes(), area="SE3", day=date(2025, 10, 27))
    assert parsed.currency == "SEK" and parsed.prices[0].price_per_kwh == Decimal("0.23619")


def test_a_file_of_several_days_is_split_into_checked_days() -> None:
    rows = fixture_rows("2025-10-26_NO1.json") + fixture_rows("2025-10-27_NO1.json")
    days = parse_price_file(json.dumps(rows[::-1]), area="NO1")
    assert [(d.day, d.currency, len(d.prices)) for d in days] == [
        (date(2025, 10, 26), "NOK", 100),
        (date(2025, 10, 27), "NOK", 96),
    ]


def test_a_file_with_a_partial_day_is_refused_whole() -> None:
    rows = fixture_rows("2025-10-26_NO1.json") + fixture_rows("2025-10-27_NO1.json")[:50]
    with pytest.raises(SpotPriceFormatError, match=r"NO1 2025-10-27: intervals run .* not the local day"):
        parse_price_file(json.dumps(rows), area="NO1")
