"""A credit note's `pdf` link: one page of text, like the invoices' PDF."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ladeportal.stripe_standin.credit_notes import note_for_page
from ladeportal.stripe_standin.invoice_pages import money
from ladeportal.stripe_standin.invoice_pdf import text_pdf
from ladeportal.stripe_standin.store import Store


def routes(store: Store) -> list[Route]:
    async def pdf(request: Request) -> Response:
        note = note_for_page(store, request.path_params["token"])
        if note is None:
            return Response("This credit note link is not valid.", status_code=404, media_type="text/plain")
        currency = note["currency"]
        lines = [
            f"Credit note {note['number']}",
            f"Invoice: {note['invoice']}",
            f"Reason: {note['reason'] or ''}",
            f"Memo: {note['memo'] or ''}",
            "",
            *(f"{line['description'] or ''}  {money(line['amount'], currency)}" for line in note["lines"]["data"]),
            "",
            f"Total: {money(note['total'], currency)}",
            f"Status: {note['status']}",
        ]
        return Response(text_pdf(lines), media_type="application/pdf", headers={"Cache-Control": "no-store"})

    return [Route("/cn/{token}/pdf", pdf, methods=["GET"])]
