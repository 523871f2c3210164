"""Stripe's error responses: {"error": {"type", "code", "param", "message", "doc_url"}} with its HTTP statuses."""

from __future__ import annotations

from typing import Any

_DOCS = "https://stripe.com/docs/error-codes"


class StripeApiError(Exception):
    """Raised anywhere in a request; the API layer turns it into Stripe's JSON error and status."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param

    def body(self, request_id: str | None = None) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.type, "code": self.code, "param": self.param, "message": self.message}
        if self.code:
            error["doc_url"] = f"{_DOCS}/{self.code.replace('_', '-')}"
        if request_id:
            error["request_log_url"] = f"https://dashboard.stripe.com/test/logs/{request_id}"
        return {"error": error}


def missing_param(param: str) -> StripeApiError:
    return StripeApiError(400, f"Missing required param: {param}.", code="parameter_missing", param=param)


def invalid_param(param: str, message: str) -> StripeApiError:
    return StripeApiError(400, message, code="parameter_invalid_string", param=param)


def unknown_param(param: str) -> StripeApiError:
    return StripeApiError(400, f"Received unknown parameter: {param}", code="parameter_unknown", param=param)


def resource_missing(kind: str, object_id: str, param: str = "id") -> StripeApiError:
    return StripeApiError(404, f"No such {kind}: '{object_id}'", code="resource_missing", param=param)


def unrecognized_url(method: str, path: str) -> StripeApiError:
    return StripeApiError(
        404,
        f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs or we can help at "
        "https://support.stripe.com/.",
    )


def api_key_missing() -> StripeApiError:
    return StripeApiError(
        401,
        "You did not provide an API key. You need to provide your API key in the Authorization header, using "
        "Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
    )


def api_key_invalid(key: str) -> StripeApiError:
    shown = key[:8] + "*" * 4 + key[-4:] if len(key) > 12 else "*" * len(key)
    return StripeApiError(401, f"Invalid API Key provided: {shown}", code="api_key_invalid")


def account_inaccessible(account_id: str) -> StripeApiError:
    return StripeApiError(
        403,
        f"The provided key does not have access to account '{account_id}' (or that account does not exist). "
        "Application access may have been revoked.",
        type="invalid_request_error",
        code="account_invalid",
    )


def idempotency_mismatch(key: str) -> StripeApiError:
    return StripeApiError(
        400,
        "Keys for idempotent requests can only be used with the same parameters they were first used with. "
        f"Try using a key other than '{key}' if you meant to execute a different request.",
        type="idempotency_error",
    )


def idempotency_in_flight() -> StripeApiError:
    return StripeApiError(
        409,
        "There is currently another in-progress request using this Stripe API key and idempotency key. "
        "Please try again later.",
        type="idempotency_error",
        code="idempotency_key_in_use",
    )


def injected_failure(status: int) -> StripeApiError:
    """A failure a test asked for: 429 rate limit, 409 lock timeout or a 5xx api_error."""
    if status == 429:
        return StripeApiError(
            429,
            "Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.",
            code="rate_limit",
        )
    if status == 409:
        return StripeApiError(
            409,
            "This object cannot be accessed right now because another API request is modifying it.",
            code="lock_timeout",
        )
    return StripeApiError(status, "An unknown error occurred", type="api_error")
