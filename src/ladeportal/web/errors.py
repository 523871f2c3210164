"""Domain errors as JSON with the right status: {"error": kind, "message": ..., "field": ..., "code": ...,
"params": {...}}; `code` and `params` let a client show the error in its own words (null and {} for
errors that have no code yet)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from ladeportal.errors import Conflict, DomainError, NotFound, PermissionDenied

STATUS = {NotFound: 404, Conflict: 409, PermissionDenied: 404}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain_error(request: Request, exc: DomainError) -> JSONResponse:
        status = next((code for cls, code in STATUS.items() if isinstance(exc, cls)), 422)
        body = {
            "error": exc.kind,
            "message": exc.message,
            "field": exc.field,
            "code": exc.code,
            "params": jsonable_encoder(exc.params),
        }
        return JSONResponse(body, status_code=status)
