"""What every /v1 request goes through, as on Stripe: a `Request-Id`, the API key check, the
`Stripe-Account` scope, nested parameters, Idempotency-Key replay, and Stripe's error shape."""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from ladeportal.stripe_standin import errors
from ladeportal.stripe_standin.errors import StripeApiError
from ladeportal.stripe_standin.idempotency import MAX_KEY_LENGTH, Idempotency, StoredResponse
from ladeportal.stripe_standin.ids import new_id
from ladeportal.stripe_standin.params import as_list, parse_params
from ladeportal.stripe_standin.store import Store
from ladeportal.stripe_standin.time_effects import apply_time

MAX_BODY_BYTES = 256 * 1024


@dataclass(frozen=True)
class ApiRequest:
    store: Store
    method: str
    path: str
    path_params: dict[str, str]
    params: dict[str, Any]
    stripe_account: str | None
    request_id: str
    idempotency_key: str | None
    client_ip: str
    base_url: str


Handler = Callable[[ApiRequest], dict[str, Any]]


def json_response(status: int, body: dict[str, Any], request_id: str, *, replayed: bool = False) -> Response:
    headers = {"Request-Id": request_id, "Cache-Control": "no-cache, no-store"}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return Response(json.dumps(body, indent=2), status_code=status, media_type="application/json", headers=headers)


def _api_key(request: Request) -> str:
    authorization = request.headers.get("authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer":
        key = credentials.strip()
    elif scheme.lower() == "basic":  # curl -u sk_test_...: ; Stripe takes the key as the user name
        try:
            key = base64.b64decode(credentials).decode().partition(":")[0]
        except ValueError:
            key = ""
    else:
        key = ""
    if not key:
        raise errors.api_key_missing()
    if not key.startswith("sk_test_") or len(key) <= len("sk_test_"):
        raise errors.api_key_invalid(key)
    return key


async def _params(request: Request) -> dict[str, Any]:
    pairs = parse_qsl(request.url.query, keep_blank_values=True)
    if request.method == "POST":
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            raise StripeApiError(413, "Request body too large.")
        content_type = request.headers.get("content-type", "application/x-www-form-urlencoded")
        if body and not content_type.startswith("application/x-www-form-urlencoded"):
            raise StripeApiError(
                400, "Invalid request: the stand-in, like Stripe's v1 API, takes application/x-www-form-urlencoded."
            )
        try:
            pairs += parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
        except UnicodeDecodeError as exc:
            raise StripeApiError(400, "Invalid request: the body is not UTF-8.") from exc
    return parse_params(pairs)


def check_expand(params: dict[str, Any], expandable: frozenset[str]) -> None:
    """Stripe refuses to expand a field that is not expandable; the expandable fields the stand-in has are
    all null, so expanding them changes nothing in the answer."""
    for path in as_list(params, "expand"):
        if not isinstance(path, str) or path not in expandable:
            raise StripeApiError(400, f"This property cannot be expanded ({path}).", param="expand")


def endpoint(store: Store, idempotency: Idempotency, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def serve(request: Request) -> Response:
        request_id = new_id("req", 14)
        try:
            with store.lock:
                injected = store.injected_failures.pop(0) if store.injected_failures else None
            if injected is not None:
                raise errors.injected_failure(injected)
            api_key = _api_key(request)
            stripe_account = request.headers.get("stripe-account") or None
            if stripe_account is not None:
                with store.lock:
                    known = stripe_account in store.accounts
                if not known:
                    raise errors.account_inaccessible(stripe_account)
            params = await _params(request)
            apply_time(store)
            key = request.headers.get("idempotency-key") if request.method == "POST" else None
            if key is not None and len(key) > MAX_KEY_LENGTH:
                raise StripeApiError(
                    400, f"Idempotency-Key must be at most {MAX_KEY_LENGTH} characters long.", type="idempotency_error"
                )
            api = ApiRequest(
                store=store,
                method=request.method,
                path=request.url.path,
                path_params=dict(request.path_params),
                params=params,
                stripe_account=stripe_account,
                request_id=request_id,
                idempotency_key=key,
                client_ip=request.client.host if request.client else "127.0.0.1",
                base_url=str(request.base_url).rstrip("/"),
            )
            if key is None:
                return json_response(200, handler(api), request_id)
            stored = idempotency.begin(api_key, stripe_account, key, request.method, request.url.path, params)
            if stored is not None:
                return json_response(stored.status, stored.body, stored.request_id, replayed=True)
            result: StoredResponse | None = None
            try:
                result = StoredResponse(200, handler(api), request_id)
            finally:
                idempotency.finish(api_key, stripe_account, key, request.method, request.url.path, params, result)
            return json_response(result.status, result.body, request_id)
        except StripeApiError as exc:
            return json_response(exc.status, exc.body(request_id), request_id)

    return serve


def unrecognized(store: Store) -> Callable[[Request], Awaitable[Response]]:
    async def serve(request: Request) -> Response:
        request_id = new_id("req", 14)
        try:
            _api_key(request)
            raise errors.unrecognized_url(request.method, request.url.path)
        except StripeApiError as exc:
            return json_response(exc.status, exc.body(request_id), request_id)

    return serve
