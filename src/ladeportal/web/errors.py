"""Domain errors as JSON with the right status: {"error": kind, "message": ..., "field": ..., "code": ...,
"params": {...}}; `code` and `params` let a client show the error in its own words (null and {} for
errors that have no code yet). An invalid price plan also lists every problem found, each with its
field, code, params and English message; amounts in those params are strings, as the plan API writes
amounts, so none loses a digit (or, not being finite, breaks the JSON)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from ladeportal.errors import Conflict, DomainError, NotFound, PermissionDenied
from ladeportal.pricing.validation import InvalidPlan

STATUS = {NotFound: 404, Conflict: 409, PermissionDenied: 404}


def _problems(exc: InvalidPlan) -> list[dict[str, Any]]:
    return [
        {
            "field": problem.field,
            "code": problem.code,
            "params": jsonable_encoder(problem.params, custom_encoder={Decimal: str}),
            "message": problem.message,
        }
        for problem in exc.problems
    ]


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain_error(request: Request, exc: DomainError) -> JSONResponse:
        status = next((code for cls, code in STATUS.items() if isinstance(exc, cls)), 422)
        body: dict[str, Any] = {
            "error": exc.kind,
            "message": exc.message,
            "field": exc.field,
            "code": exc.code,
            "params": jsonable_encoder(exc.params),
        }
        if isinstance(exc, InvalidPlan):
            body["problems"] = _problems(exc)
        return JSONResponse(body, status_code=status)
