"""/_standin/...: the controls over HTTP, for browser tests and the demo (loopback only, no key)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ladeportal.stripe_standin.controls import Controls
from ladeportal.stripe_standin.errors import StripeApiError
from ladeportal.stripe_standin.params import as_int, as_list, parse_params


async def _form(request: Request) -> dict[str, Any]:
    body = (await request.body()).decode("utf-8", errors="replace")
    return parse_params(parse_qsl(body, keep_blank_values=True))


def _error(exc: StripeApiError) -> Response:
    return JSONResponse(exc.body(), status_code=exc.status)


def routes(controls: Controls) -> list[Route]:
    async def advance(request: Request) -> Response:
        try:
            seconds = as_int(await _form(request), "seconds", low=0, high=10 * 365 * 86400)
            if seconds is None:
                raise StripeApiError(400, "Missing required param: seconds.", param="seconds")
        except StripeApiError as exc:
            return _error(exc)
        return JSONResponse({"now": int(controls.advance_time(seconds))})

    async def events(request: Request) -> Response:
        return JSONResponse({"data": controls.events(request.query_params.get("type"))})

    async def deliveries(request: Request) -> Response:
        return JSONResponse({"data": controls.deliveries()})

    async def requirements(request: Request) -> Response:
        try:
            form = await _form(request)
            deadline = as_int(form, "current_deadline", low=0, high=2**40)
            account = controls.set_requirements(
                request.path_params["account"],
                currently_due=[str(n) for n in as_list(form, "currently_due")],
                eventually_due=[str(n) for n in as_list(form, "eventually_due")],
                current_deadline=deadline,
            )
        except StripeApiError as exc:
            return _error(exc)
        return JSONResponse(account)

    async def complete(request: Request) -> Response:
        try:
            form = await _form(request)
            account = controls.complete_onboarding(
                request.path_params["account"], [str(n) for n in as_list(form, "leave_due")]
            )
        except StripeApiError as exc:
            return _error(exc)
        return JSONResponse(account)

    async def payout(request: Request) -> Response:
        try:
            form = await _form(request)
            amount = as_int(form, "amount", low=1, high=99_999_999)
            if amount is None:
                raise StripeApiError(400, "Missing required param: amount.", param="amount")
            currency = form.get("currency") or "nok"
            if not isinstance(currency, str):
                raise StripeApiError(400, "Invalid currency.", param="currency")
            arrival = as_int(form, "arrival_date", low=0, high=2**40)
            made = controls.make_payout(request.path_params["account"], amount, currency, arrival)
        except StripeApiError as exc:
            return _error(exc)
        return JSONResponse(made)

    return [
        Route("/_standin/time/advance", advance, methods=["POST"]),
        Route("/_standin/accounts/{account}/payouts", payout, methods=["POST"]),
        Route("/_standin/events", events, methods=["GET"]),
        Route("/_standin/deliveries", deliveries, methods=["GET"]),
        Route("/_standin/accounts/{account}/requirements", requirements, methods=["POST"]),
        Route("/_standin/accounts/{account}/complete_onboarding", complete, methods=["POST"]),
    ]
