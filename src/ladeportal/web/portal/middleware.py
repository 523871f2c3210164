"""Per-request language and the portal's security headers, as plain ASGI middleware (so the language
context variable is set in the same task that runs the endpoint)."""

from __future__ import annotations

from http.cookies import SimpleCookie

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ladeportal import i18n

# Pages load scripts and styles only from this site; frames are refused (clickjacking).
# 'unsafe-inline' styles: htmx injects its indicator style element.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
)
PORTAL_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]


class PortalMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
        cookies = SimpleCookie()
        try:
            cookies.load(headers.get("cookie", ""))
        except Exception:  # a malformed cookie header must not break the page
            cookies = SimpleCookie()
        chosen = cookies["lp_lang"].value if "lp_lang" in cookies else None
        # The end-user app speaks Swedish too; the portal does not.
        in_app = scope["path"] == "/app" or scope["path"].startswith("/app/")
        allowed = i18n.APP_LANGUAGES if in_app else i18n.LANGUAGES
        i18n.set_language(i18n.pick_language(chosen, headers.get("accept-language"), allowed=allowed))
        if not scope["path"].startswith("/portal") and not in_app:
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + PORTAL_HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers)
