"""Bulk import of members (/users/import) and of RFID tags (/rfid/import): upload, a dry run that
shows every row, then the import in one transaction.

Progress is a streamed response: the page is sent up to the progress area at once, a progress step
follows whenever the domain reports one, and the result closes the page. That needs no job table, no
background worker and no polling endpoint that another web process might not know about, and it
works without JavaScript (CSS shows only the latest step). Between the dry run and the import the
file travels back in the form (base64), so the import can run on any web process; it is checked
again from scratch inside the import's transaction anyway.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from markupsafe import Markup
from starlette.datastructures import UploadFile
from starlette.responses import Response, StreamingResponse

from ladeportal.errors import DomainError, ValidationFailed
from ladeportal.i18n import N_, gettext
from ladeportal.members.member_import import (
    MEMBER_COLUMNS,
    ImportProgress,
    ImportReport,
    ProgressCallback,
    dry_run_member_import,
    import_members,
)
from ladeportal.members.tabular import MAX_BYTES, load_table
from ladeportal.members.tag_import import TAG_COLUMNS, dry_run_tag_import, import_tags
from ladeportal.messaging.email_queue import email_enabled
from ladeportal.web.deps import get_db
from ladeportal.web.portal.access import AdminPage, OrgContext
from ladeportal.web.portal.pages.members_messages import errors_of, row_text, text_of
from ladeportal.web.portal.templating import environment, page_context, render

log = logging.getLogger(__name__)
# Mounted by users.py and rfid.py, each in the right order among its own routes.
users_router = APIRouter()
rfid_router = APIRouter()

# Written literally in import_run.html where the streamed part goes.
MARKER = "<!--lp-import-stream-->"
# What the changes column says, for the field names the import reports.
CHANGE_LABELS = {
    "name": N_("name"),
    "email": N_("e-mail"),
    "group": N_("group"),
    "parking_spot": N_("parking spot"),
    "notes": N_("notes"),
    "membership_id": N_("member"),
    "group_id": N_("group"),
    "label": N_("label"),
    "expires_at": N_("expiry"),
}
KINDS: dict[str, dict[str, Any]] = {
    "users": {"columns": MEMBER_COLUMNS, "required": ("phone",), "title": N_("Import users"), "back": "/users"},
    "rfid": {"columns": TAG_COLUMNS, "required": ("uid",), "title": N_("Import RFID tags"), "back": "/rfid"},
}
Work = Callable[[ProgressCallback], Awaitable[ImportReport]]


def _kind(request: Request) -> str:
    return "rfid" if "/rfid/" in request.url.path else "users"


def change_text(change: str) -> str:
    if change.startswith("tag "):
        return gettext("tag %(uid)s") % {"uid": change[4:]}
    return gettext(CHANGE_LABELS.get(change, change))


def _upload_page(request: Request, kind: str, errors: dict[str, str], status_code: int = 200) -> Response:
    return render(
        request,
        "portal/users/import.html",
        {
            "kind": kind,
            "title": KINDS[kind]["title"],
            "back": KINDS[kind]["back"],
            "errors": errors,
        },
        status_code=status_code,
    )


async def upload_form(request: Request, here: AdminPage) -> Response:
    return _upload_page(request, _kind(request), {})


async def dry_run(request: Request, here: AdminPage) -> Response:
    kind = _kind(request)
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _upload_page(request, kind, {"file": gettext("Choose a CSV or XLSX file.")}, 422)
    content = await upload.read(MAX_BYTES + 1)
    filename = upload.filename
    try:
        # The file's shape (format, header, columns) is checked before the page starts streaming,
        # so such a mistake is shown next to the file field with the right status code.
        await load_table(content, filename, KINDS[kind]["columns"], KINDS[kind]["required"])
    except ValidationFailed as exc:
        return _upload_page(request, kind, errors_of(exc), 422)
    db = get_db(request)

    async def work(progress: ProgressCallback) -> ImportReport:
        async with db.session() as session:
            if kind == "users":
                return await dry_run_member_import(session, here.org.id, content, filename, progress)
            return await dry_run_tag_import(session, here.org.id, content, filename)

    payload = base64.urlsafe_b64encode(content).decode("ascii")
    return _stream(request, here, kind, work, {"dry_run": True, "content": payload, "filename": filename})


async def run_import(request: Request, here: AdminPage) -> Response:
    kind = _kind(request)
    form = await request.form()
    raw, name = form.get("content"), form.get("filename")
    try:
        content = base64.urlsafe_b64decode(raw if isinstance(raw, str) else "")
    except (binascii.Error, ValueError):
        content = b""
    filename = name if isinstance(name, str) else ""
    if not content or len(content) > MAX_BYTES:
        return _upload_page(request, kind, {"file": gettext("Upload the file again.")}, 422)
    skip_invalid = form.get("skip_invalid") == "1"
    send_invites = form.get("send_invites") == "1"
    invite_channel = str(form.get("invite_channel") or "sms")
    db = get_db(request)

    async def work(progress: ProgressCallback) -> ImportReport:
        async with db.session() as session:
            if kind == "users":
                return await import_members(
                    session,
                    here.actor,
                    here.org.id,
                    content,
                    filename,
                    skip_invalid_rows=skip_invalid,
                    send_invites=send_invites,
                    invite_channel=invite_channel,
                    progress=progress,
                )
            return await import_tags(
                session, here.actor, here.org.id, content, filename, skip_invalid_rows=skip_invalid
            )

    return _stream(request, here, kind, work, {"dry_run": False, "filename": filename})


def _fragment(request: Request, template: str, context: dict[str, Any]) -> str:
    return environment().get_template(template).render(page_context(request, context))


def _step(progress: ImportProgress) -> str:
    percent = 100 if not progress.total else min(100, round(100 * progress.done / progress.total))
    label = (
        gettext("Checking rows: %(done)d of %(total)d")
        if progress.phase == "checking"
        else gettext("Saving: %(done)d of %(total)d")
    ) % {"done": min(progress.done, progress.total), "total": progress.total}
    return (
        f'<div class="import-step" data-phase="{progress.phase}"><div class="progress mb-1">'
        f'<div class="progress-bar" style="width: {percent}%"></div></div>'
        f'<small class="text-secondary">{Markup.escape(label)}</small></div>\n'
    )


def _stream(request: Request, here: OrgContext, kind: str, work: Work, context: dict[str, Any]) -> Response:
    shell = render(
        request,
        "portal/users/import_run.html",
        {
            "kind": kind,
            "title": KINDS[kind]["title"],
            "back": KINDS[kind]["back"],
            "dry_run": context["dry_run"],
            "filename": context["filename"],
        },
    )
    head, tail = bytes(shell.body).decode("utf-8").split(MARKER, 1)

    async def body() -> AsyncIterator[str]:
        yield head
        queue: asyncio.Queue[ImportProgress] = asyncio.Queue()
        # A task of its own: if the browser goes away the import still finishes (or rolls back) as a
        # whole instead of being cancelled halfway through its transaction.
        task = asyncio.ensure_future(work(queue.put_nowait))
        try:
            while not task.done() or not queue.empty():
                getter = asyncio.ensure_future(queue.get())
                done, _ = await asyncio.wait({getter, task}, return_when=asyncio.FIRST_COMPLETED)
                if getter in done:
                    yield _step(getter.result())
                else:
                    getter.cancel()
        finally:
            _keep(task)
        result: dict[str, Any] = {
            **context,
            "kind": kind,
            "back": KINDS[kind]["back"],
            "change_text": change_text,
            "row_text": row_text,
            "invite_by_email": email_enabled(),
            "error": None,
        }
        try:
            result["report"] = task.result()
        except DomainError as exc:
            result["report"], result["error"] = None, text_of(exc)
        except Exception:
            log.exception("import into %s failed", here.org.id)
            result["report"], result["error"] = None, gettext("The import failed; nothing was changed. Try again.")
        try:
            yield _fragment(request, "portal/users/_import_result.html", result)
        except Exception:  # the status line is long gone: say so in the page rather than cut it off
            log.exception("import report for %s failed to render", here.org.id)
            yield f'</div></div><div class="alert alert-danger">{Markup.escape(gettext("Something went wrong."))}</div>'
        yield tail

    response = StreamingResponse(
        body(), media_type="text/html; charset=utf-8", headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    )
    response.raw_headers.extend((k, v) for k, v in shell.raw_headers if k == b"set-cookie")
    return response


for _router, _area in ((users_router, "users"), (rfid_router, "rfid")):
    _router.add_api_route(f"/portal/o/{{org_id}}/{_area}/import", upload_form, methods=["GET"])
    _router.add_api_route(f"/portal/o/{{org_id}}/{_area}/import", dry_run, methods=["POST"])
    _router.add_api_route(f"/portal/o/{{org_id}}/{_area}/import/run", run_import, methods=["POST"])

_running: set[asyncio.Future[ImportReport]] = set()


def _keep(task: asyncio.Future[ImportReport]) -> None:
    """Hold a reference until an abandoned import finishes (asyncio keeps only weak ones)."""
    if not task.done():
        _running.add(task)
        task.add_done_callback(_running.discard)
