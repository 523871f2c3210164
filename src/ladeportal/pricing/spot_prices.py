"""The one place that fetches day-ahead spot prices over HTTP.

Sources: the public Norwegian price API for NO1-NO5 (in NOK) and its Swedish twin for SE1-SE4 (in SEK),
both `{base}/{YYYY}/{MM}-{DD}_{AREA}.json` with Nord Pool day-ahead prices per price area, published
around 13:00 CET for the next day. Tests point the base addresses at a stand-in server; everything else
about the request is the production code path.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from types import TracebackType

import httpx

from ladeportal.pricing.spot_price_parsing import (
    DayAheadPrices,
    SpotPriceError,
    parse_day_ahead,
    published_currency,
)
from ladeportal.pricing.spot_series import SpotPrice

DEFAULT_BASE_URL = "https://www.hvakosterstrommen.no/api/v1/prices"
DEFAULT_SWEDISH_BASE_URL = "https://www.elprisetjustnu.se/api/v1/prices"


class SpotPricesNotPublished(SpotPriceError):
    """The source has no file for that day yet (tomorrow before the auction, or too far ahead)."""


class SpotPriceSourceUnavailable(SpotPriceError):
    """Network failure or a server error: worth retrying later."""


def day_url(base_url: str, area: str, day: date) -> str:
    return f"{base_url.rstrip('/')}/{day:%Y}/{day:%m-%d}_{area}.json"


class SpotPriceClient:
    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        swedish_base_url: str = DEFAULT_SWEDISH_BASE_URL,
        http: httpx.AsyncClient | None = None,
        timeout_seconds: float = 10.0,
    ) -> None:
        self._base_urls = {"NO": base_url, "SE": swedish_base_url}
        self._owns_http = http is None
        self._http = http or httpx.AsyncClient(timeout=timeout_seconds, follow_redirects=True)

    async def __aenter__(self) -> SpotPriceClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    @classmethod
    def from_settings(cls) -> SpotPriceClient:
        from ladeportal.settings import get_settings

        settings = get_settings()
        return cls(settings.spot_price_url, swedish_base_url=settings.spot_price_url_se)

    async def fetch_day(self, area: str, day: date, *, currency: str | None = None) -> DayAheadPrices:
        """`currency` None: the area's own (NOK for NO areas, SEK for SE areas)."""
        # An unknown area or currency is the caller's mistake, not the source's: fail before I/O.
        currency = published_currency(area, currency)
        url = day_url(self._base_urls[area[:2]], area, day)
        where = f"{area} {day.isoformat()}"
        try:
            response = await self._http.get(url, headers={"Accept": "application/json"})
        except httpx.HTTPError as error:
            raise SpotPriceSourceUnavailable(f"{where}: could not reach {url}: {error!r}") from error
        if response.status_code == httpx.codes.NOT_FOUND:
            raise SpotPricesNotPublished(f"{where}: no prices published at {url}")
        if response.status_code != httpx.codes.OK:
            raise SpotPriceSourceUnavailable(f"{where}: {url} answered HTTP {response.status_code}")
        return parse_day_ahead(response.content, area=area, day=day, currency=currency)

    async def fetch_days(
        self, area: str, first_day: date, last_day: date, *, currency: str | None = None
    ) -> Sequence[SpotPrice]:
        """Prices for every day from `first_day` to `last_day` inclusive, in time order."""
        prices: list[SpotPrice] = []
        day = first_day
        while day <= last_day:
            prices.extend((await self.fetch_day(area, day, currency=currency)).prices)
            day += timedelta(days=1)
        return prices
