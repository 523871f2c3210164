"""The real httpx client against a stand-in price API over HTTP on 127.0.0.1."""

from __future__ import annotations

import itertools
import socket
from datetime import date
from decimal import Decimal

import httpx
import pytest

from ladeportal.pricing.spot_price_parsing import SpotPriceFormatError
from ladeportal.pricing.spot_prices import (
    SpotPriceClient,
    SpotPricesNotPublished,
    SpotPriceSourceUnavailable,
    day_url,
)

PriceApi = tuple[str, list[str]]


def test_day_url_follows_the_public_api() -> None:
    assert day_url("https://example.test/api/v1/prices/", "NO1", date(2025, 3, 9)) == (
        "https://example.test/api/v1/prices/2025/03-09_NO1.json"
    )


async def test_fetches_a_quarter_hour_day(price_api: PriceApi) -> None:
    base, requested = price_api
    async with SpotPriceClient(f"{base}/api/v1/prices") as client:
        day = await client.fetch_day("NO4", date(2025, 10, 27))
    assert "/api/v1/prices/2025/10-27_NO4.json" in requested
    assert (day.area, day.day, day.currency, len(day.prices)) == ("NO4", date(2025, 10, 27), "NOK", 96)
    assert day.prices[0].price_per_kwh == Decimal("0.05194")
    assert day.prices[0].start.isoformat() == "2025-10-26T23:00:00+00:00"


def both_sources(base: str) -> SpotPriceClient:
    return SpotPriceClient(f"{base}/api/v1/prices", swedish_base_url=f"{base}/se/api/v1/prices")


async def test_swedish_areas_come_from_the_swedish_source_in_sek(price_api: PriceApi) -> None:
    base, requested = price_api
    async with both_sources(base) as client:
        day = await client.fetch_day("SE3", date(2025, 10, 27))
    assert requested[-1] == "/se/api/v1/prices/2025/10-27_SE3.json"
    assert (day.currency, len(day.prices), day.prices[0].price_per_kwh) == ("SEK", 96, Decimal("0.23619"))
    assert day.prices[0].start.isoformat() == "2025-10-26T23:00:00+00:00"  # local midnight in Stockholm


async def test_norwegian_areas_keep_the_norwegian_source(price_api: PriceApi) -> None:
    base, requested = price_api
    async with both_sources(base) as client:
        day = await client.fetch_day("NO1", date(2025, 10, 27))
    assert requested[-1] == "/api/v1/prices/2025/10-27_NO1.json" and day.currency == "NOK"


async def test_fetches_prices_in_euro(price_api: PriceApi) -> None:
    base, _ = price_api
    async with both_sources(base) as client:
        day = await client.fetch_day("SE3", date(2025, 10, 27), currency="EUR")
    assert day.prices[0].price_per_kwh == Decimal("0.02157")


async def test_a_currency_the_source_does_not_publish_fails_before_any_request(price_api: PriceApi) -> None:
    base, requested = price_api
    before = len(requested)
    async with both_sources(base) as client:
        with pytest.raises(ValueError, match="SE3 prices are published in SEK, EUR, not 'NOK'"):
            await client.fetch_day("SE3", date(2025, 10, 27), currency="NOK")
    assert len(requested) == before


async def test_fetches_several_days_in_order(price_api: PriceApi) -> None:
    base, _ = price_api
    async with SpotPriceClient(f"{base}/api/v1/prices") as client:
        prices = await client.fetch_days("NO1", date(2025, 10, 26), date(2025, 10, 27))
    assert len(prices) == 100 + 96
    assert all(a.end == b.start for a, b in itertools.pairwise(prices))


async def test_a_day_not_yet_published(price_api: PriceApi) -> None:
    base, _ = price_api
    async with SpotPriceClient(f"{base}/api/v1/prices") as client:
        with pytest.raises(SpotPricesNotPublished, match="NO1 2025-10-28"):
            await client.fetch_day("NO1", date(2025, 10, 28))


async def test_a_server_error_is_retryable(price_api: PriceApi) -> None:
    base, _ = price_api
    async with SpotPriceClient(f"{base}/failing") as client:
        with pytest.raises(SpotPriceSourceUnavailable, match="HTTP 503"):
            await client.fetch_day("NO1", date(2025, 10, 27))


async def test_a_garbage_answer_is_a_format_error(price_api: PriceApi) -> None:
    base, _ = price_api
    async with SpotPriceClient(f"{base}/broken") as client:
        with pytest.raises(SpotPriceFormatError, match="not valid JSON"):
            await client.fetch_day("NO1", date(2025, 10, 27))


async def test_an_unreachable_source() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    async with SpotPriceClient(f"http://127.0.0.1:{closed_port}/api", timeout_seconds=2) as client:
        with pytest.raises(SpotPriceSourceUnavailable, match="could not reach"):
            await client.fetch_day("NO1", date(2025, 10, 27))


async def test_an_unknown_area_fails_before_any_request(price_api: PriceApi) -> None:
    base, requested = price_api
    before = len(requested)
    async with SpotPriceClient(f"{base}/api/v1/prices") as client:
        with pytest.raises(ValueError, match="unknown price area"):
            await client.fetch_day("NO9", date(2025, 10, 27))
    assert len(requested) == before


async def test_a_shared_http_client_is_left_open(price_api: PriceApi) -> None:
    base, _ = price_api
    async with httpx.AsyncClient() as http:
        async with SpotPriceClient(f"{base}/api/v1/prices", http=http) as client:
            await client.fetch_day("NO1", date(2025, 9, 30))
        assert not http.is_closed
