"""What tests and the demo do to the stand-in besides calling Stripe's API: move its clock, ask for more
requirements, finish onboarding without the browser, read events and webhook deliveries. The Python
helpers of StandinServer and the /_standin/... HTTP endpoints both call these."""

from __future__ import annotations

import copy
from typing import Any

from ladeportal.stripe_standin import checkout, invoice_payments, payouts, records
from ladeportal.stripe_standin.account_changes import get_account, set_requirements, submit_details
from ladeportal.stripe_standin.cards import read_card
from ladeportal.stripe_standin.errors import StripeApiError
from ladeportal.stripe_standin.store import Store
from ladeportal.stripe_standin.time_effects import apply_time
from ladeportal.stripe_standin.webhooks import WebhookDispatcher

INJECTABLE_STATUSES = (409, 429, 500, 502, 503)


class Controls:
    def __init__(self, store: Store, dispatcher: WebhookDispatcher | None) -> None:
        self.store = store
        self.dispatcher = dispatcher

    def advance_time(self, seconds: float) -> float:
        """Moves the clock on (links expire, deadlines pass, verifications end); returns its new time."""
        self.store.clock.advance(seconds)
        self.store.changed()
        apply_time(self.store)
        return self.store.clock.now()

    def now(self) -> int:
        return self.store.clock.timestamp()

    def events(self, type: str | None = None) -> list[dict[str, Any]]:
        with self.store.lock:
            return [copy.deepcopy(e) for e in self.store.events if type is None or e["type"] == type]

    def deliveries(self) -> list[dict[str, Any]]:
        return self.dispatcher.deliveries() if self.dispatcher else []

    def wait_for_webhooks(self, timeout: float = 30.0) -> bool:
        """Waits until every event made so far was delivered or given up; True unless the timeout struck."""
        return self.dispatcher.wait_idle(timeout) if self.dispatcher else True

    def account(self, account_id: str) -> dict[str, Any]:
        return get_account(self.store, account_id)

    def set_requirements(
        self,
        account_id: str,
        *,
        currently_due: list[str],
        eventually_due: list[str] | None = None,
        current_deadline: int | None = None,
    ) -> dict[str, Any]:
        return set_requirements(
            self.store,
            account_id,
            currently_due=list(currently_due),
            eventually_due=list(eventually_due or []),
            current_deadline=current_deadline,
        )

    def complete_onboarding(self, account_id: str, leave_due: list[str] | None = None) -> dict[str, Any]:
        get_account(self.store, account_id)
        submit_details(self.store, account_id, leave_due=list(leave_due or []))
        return get_account(self.store, account_id)

    def inject_failures(self, *statuses: int) -> None:
        """The next API requests answer these statuses (one each) with Stripe's error for them."""
        for status in statuses:
            if status not in INJECTABLE_STATUSES:
                raise ValueError(f"cannot inject {status}: one of {INJECTABLE_STATUSES}")
        with self.store.lock:
            self.store.injected_failures.extend(statuses)

    def invoice(self, invoice_id: str) -> dict[str, Any]:
        with self.store.lock:
            owner = self.store.internal.get(invoice_id, {}).get("account")
        return records.fetch(self.store, "invoice", invoice_id, owner)

    def pay_invoice(self, invoice_id: str, card: str) -> dict[str, Any]:
        """What paying on the hosted invoice page does; returns the payment intent afterwards."""
        entered, errors = read_card(card, "12/34", "123", self.store.clock.now())
        if entered is None:
            raise StripeApiError(402, " ".join(errors.values()), type="card_error", code="incorrect_number")
        return invoice_payments.pay_with_card(self.store, invoice_id, entered)

    def finish_3ds(self, invoice_id: str, passed: bool = True) -> dict[str, Any]:
        """The 3-D Secure challenge's "Complete" (passed) or "Fail" button."""
        return invoice_payments.finish_authentication(self.store, invoice_id, passed=passed)

    def pay_checkout(self, session_id: str, card: str, email: str) -> dict[str, Any]:
        entered, errors = read_card(card, "12/34", "123", self.store.clock.now())
        if entered is None:
            raise StripeApiError(402, " ".join(errors.values()), type="card_error", code="incorrect_number")
        return checkout.pay_session(self.store, session_id, entered, email)

    def finish_checkout_3ds(self, session_id: str, passed: bool = True) -> dict[str, Any]:
        return checkout.finish_session_authentication(self.store, session_id, passed=passed)

    def make_payout(self, account_id: str, amount: int, currency: str, arrival_date: int | None) -> dict[str, Any]:
        """A payout of the account's balance to its bank, arriving on `arrival_date` (default: in 2 days)."""
        arrival = arrival_date if arrival_date is not None else self.store.clock.timestamp() + 2 * 86400
        return payouts.make_payout(self.store, account_id, amount, currency, arrival)

    def money_movements(self, kind: str) -> list[dict[str, Any]]:
        """What payments and refunds left behind: kind "application_fee", "transfer" or "transfer_reversal",
        oldest first."""
        with self.store.lock:
            return [copy.deepcopy(o) for o in self.store.objects.get(kind, {}).values()]
