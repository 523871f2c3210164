"""An invoice as a one-page PDF (the invoice_pdf link): text only, in a standard font, written by hand so
the stand-in needs no PDF library."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _escape(text: str) -> str:
    latin = text.encode("latin-1", errors="replace").decode("latin-1")
    return latin.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def invoice_pdf(
    invoice: dict[str, Any],
    merchant: str,
    taxes: list[dict[str, Any]],
    money: Callable[[int, str], str],
    day: Callable[[int | None], str],
) -> bytes:
    currency = invoice["currency"]
    lines = [
        f"Invoice {invoice['number'] or ''}",
        f"From: {merchant}",
        f"To: {invoice['customer_name'] or invoice['customer_email'] or invoice['customer']}",
        f"Due date: {day(invoice['due_date'])}" if invoice["due_date"] else "",
        "",
        *(
            f"{line['description'] or ''}  x{line['quantity_decimal']}  {money(line['amount'], currency)}"
            for line in invoice["lines"]["data"]
        ),
        "",
        f"Subtotal: {money(invoice['subtotal'], currency)}",
        *(f"{tax['label']}: {money(tax['amount'], currency)}" for tax in taxes),
        f"Total: {money(invoice['total'], currency)}",
        f"Amount due: {money(invoice['amount_due'], currency)}",
        f"Status: {invoice['status']}",
    ]
    return text_pdf(lines)


def text_pdf(lines: list[str]) -> bytes:
    """One page of text lines (also the credit notes' PDF)."""
    text = "BT /F1 11 Tf 50 800 Td 14 TL " + " ".join(f"({_escape(line)}) '" for line in lines) + " ET"
    stream = text.encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
