"""POST /webhooks/stripe: Stripe's webhook deliveries, platform and Connect events alike.

No session and no CSRF token: a delivery is authenticated by its Stripe-Signature alone (checked in
billing/webhooks.py against the raw body, which must reach the check byte for byte). The answer is
immediate; the outbox does the work.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ladeportal.billing.webhooks import receive_event
from ladeportal.errors import ValidationFailed
from ladeportal.web.deps import get_db

router = APIRouter(include_in_schema=False)

# Stripe's events are a few kilobytes; anything far larger is not one of them.
MAX_BODY_BYTES = 512 * 1024


async def _body(request: Request) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


@router.post("/webhooks/stripe")
async def stripe_webhook(request: Request) -> JSONResponse:
    payload = await _body(request)
    if payload is None:
        return JSONResponse({"error": "too_large"}, status_code=413)
    try:
        received = await receive_event(
            get_db(request), payload, request.headers.get("stripe-signature"), request.app.state.settings
        )
    except ValidationFailed as exc:
        return JSONResponse({"error": "invalid", "code": exc.code, "message": exc.message}, status_code=400)
    return JSONResponse({"received": True, "duplicate": received.duplicate})
