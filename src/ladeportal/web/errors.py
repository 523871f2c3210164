"""Domain errors as JSON: {"error": code, "message": ..., "field": ...} with the right status."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from ladeportal.errors import Conflict, DomainError, NotFound, PermissionDenied

STATUS = {NotFound: 404, Conflict: 409, PermissionDenied: 404}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain_error(request: Request, exc: DomainError) -> JSONResponse:
        status = next((code for cls, code in STATUS.items() if isinstance(exc, cls)), 422)
        return JSONResponse({"error": exc.code, "message": exc.message, "field": exc.field}, status_code=status)
