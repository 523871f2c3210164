"""The live session pushed by Server-Sent Events.

Each stream wakes when the meter writer of this process committed the session's meter values
(sessions/live_updates.py) and otherwise re-reads the session every few seconds, so it also works
when the gateway runs in another process. It opens a short database session per read (never one
held for the stream's life), sends an event only when something changed, a comment now and then to
keep proxies from closing it, and ends once the session has ended. A person may hold only a few
streams open at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response, StreamingResponse

from ladeportal.db.engine import Database
from ladeportal.enduser.live import LiveView, live_view
from ladeportal.errors import DomainError
from ladeportal.i18n import current_language
from ladeportal.i18n.formatting import money, number, power_kw
from ladeportal.sessions import live_updates
from ladeportal.web.enduser.app_access import optional_app_viewer
from ladeportal.web.portal.security import settings_of

router = APIRouter()
REREAD_SECONDS = 3.0
KEEPALIVE_SECONDS = 20.0
_open: Counter[uuid.UUID] = Counter()


def duration_text(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


def payload(view: LiveView, language: str) -> dict[str, Any]:
    return {
        "active": view.active,
        # Two decimals: on a live page the figure should move with every MeterValues.
        "energy": f"{number(Decimal(view.energy_wh) / 1000, 2, language)} kWh",
        "energy_wh": view.energy_wh,
        "power": power_kw(view.power_w, language) if view.power_w is not None else "–",
        "duration": duration_text(view.duration_s),
        "cost": money(view.cost_minor, view.currency, language) if view.currency else "–",
        "cost_minor": view.cost_minor,
    }


def event(data: dict[str, Any]) -> bytes:
    return f"event: live\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


async def _read(db: Database, user_id: uuid.UUID, session_id: int) -> LiveView:
    async with db.session() as session:
        return await live_view(session, user_id, session_id)


async def _stream(
    request: Request, db: Database, user_id: uuid.UUID, session_id: int, first: LiveView, language: str
) -> AsyncIterator[bytes]:
    loop = asyncio.get_running_loop()
    _open[user_id] += 1
    try:
        with live_updates.listen(session_id) as woken:
            view = first
            sent: dict[str, Any] | None = None
            last_sent = loop.time()
            while True:
                data = payload(view, language)
                if data != sent:
                    yield event(data)
                    sent, last_sent = data, loop.time()
                elif loop.time() - last_sent >= KEEPALIVE_SECONDS:
                    yield b": keep-alive\n\n"
                    last_sent = loop.time()
                if not view.active or await request.is_disconnected():
                    return
                woken.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(woken.wait(), timeout=REREAD_SECONDS)
                try:
                    view = await _read(db, user_id, session_id)
                except DomainError:
                    return  # the session is no longer the person's (membership removed)
    finally:
        _open[user_id] -= 1
        if _open[user_id] <= 0:
            del _open[user_id]


@router.get("/app/sessions/{session_id}/live")
async def live(request: Request, session_id: int) -> Response:
    # Not the usual session dependency: that would hold a database session for the stream's life.
    db: Database = request.app.state.db
    async with db.session() as session:
        viewer = await optional_app_viewer(request, session)
    if viewer is None:
        return Response(status_code=401, headers={"cache-control": "no-store"})
    user_id = viewer.user.id
    try:
        first = await _read(db, user_id, session_id)
    except DomainError:
        return Response(status_code=404, headers={"cache-control": "no-store"})
    if _open[user_id] >= settings_of(request).app_streams_per_user:
        # The page falls back on reloading itself; an old tab's stream frees its place when closed.
        return Response(status_code=429, headers={"cache-control": "no-store", "retry-after": "10"})
    return StreamingResponse(
        _stream(request, db, user_id, session_id, first, current_language()),
        media_type="text/event-stream",
        headers={"cache-control": "no-store", "x-accel-buffering": "no"},
    )
