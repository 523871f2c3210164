"""Security headers on every HTTP response (API, portal, health checks, static files).

A response that sets a header itself keeps it: the portal sends its stricter Content-Security-Policy,
a static file its own caching. Everything else is not to be stored by browsers or proxies, because API
answers and portal pages carry names, phone numbers and charging history.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ladeportal.settings import Settings

# One year, and subdomains too: a portal served over HTTPS has no reason to be reached over HTTP.
HSTS = b"max-age=31536000; includeSubDomains"
# Static files are public and versioned by the vendoring step; they may be cached.
CACHEABLE_PREFIXES = ("/static/",)


def _base_headers(settings: Settings) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
        # Nothing of ours may be framed (clickjacking); pages that need more set a fuller policy.
        (b"content-security-policy", b"frame-ancestors 'none'"),
        (b"x-frame-options", b"DENY"),
    ]
    if settings.cookie_secure or settings.public_url.startswith("https://"):
        headers.append((b"strict-transport-security", HSTS))
    return headers


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.headers = _base_headers(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cacheable = str(scope.get("path", "")).startswith(CACHEABLE_PREFIXES)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in self.headers if name not in present]
                if not cacheable and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
