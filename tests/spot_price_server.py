"""A stand-in for the public day-ahead price APIs on 127.0.0.1, serving tests/fixtures/spot_prices over
real HTTP so the real client code runs. /api/v1/prices/... is the Norwegian source (NO areas only, in
NOK), /se/api/v1/prices/... the Swedish one (SE areas only, in SEK); /failing/v1/prices/... answers 503
(to watch retries); /broken/... answers something that is not JSON."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SPOT_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "spot_prices"
_PRICE_PATH = re.compile(r"^/(api|se/api|failing)/v1/prices/(\d{4})/(\d{2})-(\d{2})_([A-Z]{2}\d)\.json$")
# Each public source publishes its own country's areas only.
_COUNTRY_OF_SOURCE = {"api": "NO", "se/api": "SE"}


class _PriceApi(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.server.requested.append(self.path)  # type: ignore[attr-defined]
        if self.path.startswith("/broken/"):
            self._answer(200, b"<html>not json</html>")
            return
        if self.path.startswith("/failing/"):
            self._answer(503, b"maintenance")
            return
        match = _PRICE_PATH.match(self.path)
        file = None
        if match and match[5].startswith(_COUNTRY_OF_SOURCE[match[1]]):
            file = SPOT_FIXTURES / f"{match[2]}-{match[3]}-{match[4]}_{match[5]}.json"
        if file is None or not file.is_file():
            self._answer(404, b"not found")
            return
        self._answer(200, file.read_bytes())

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def running_price_api() -> Iterator[tuple[str, list[str]]]:
    """(base address, list of requested paths) of a running stand-in server."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _PriceApi)
    server.requested = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield f"http://{host!s}:{port}", server.requested  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
