"""What the passing of the stand-in's time does: account verifications end and deadlines pass; invoice
drafts are finalized automatically and due dates pass; Checkout Sessions expire."""

from __future__ import annotations

from ladeportal.stripe_standin import account_changes, checkout, invoice_changes
from ladeportal.stripe_standin.store import Store


def apply_time(store: Store) -> None:
    account_changes.apply_time(store)
    invoice_changes.apply_due_dates(store)
    checkout.apply_expiry(store)
