"""Every change of an account's state, in one place: each locks the store, changes the account, works out
what Stripe would then say about it (enabled, disabled, pending verification) and, when anything changed,
records `account.updated` (a Connect event of that account)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from ladeportal.stripe_standin.accounts import VERIFIED_FIELDS, change_business_type, requirements_for, satisfy
from ladeportal.stripe_standin.errors import resource_missing
from ladeportal.stripe_standin.events import changed_attributes, record_event
from ladeportal.stripe_standin.ids import new_id
from ladeportal.stripe_standin.store import Store

Mutation = Callable[[dict[str, Any]], object]


def get_account(store: Store, account_id: str, param: str = "id") -> dict[str, Any]:
    with store.lock:
        account = store.accounts.get(account_id)
        if account is None:
            raise resource_missing("account", account_id, param)
        return copy.deepcopy(account)


def change_account(
    store: Store,
    account_id: str,
    mutate: Mutation,
    *,
    request_id: str | None = None,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """Applies `mutate`, settles the derived state and emits account.updated when the account changed."""
    with store.lock:
        account = store.accounts.get(account_id)
        if account is None:
            raise resource_missing("account", account_id, "account")
        before = copy.deepcopy(account)
        working = copy.deepcopy(account)
        mutate(working)  # on a copy: a Stripe error half-way leaves the stored account untouched
        _settle(store, working)
        store.accounts[account_id] = working
        after = copy.deepcopy(working)
        if after != before:  # recorded under the lock, so events follow the order of the changes
            record_event(
                store,
                "account.updated",
                after,
                account=account_id,
                previous_attributes=changed_attributes(before, after),
                request_id=request_id,
                idempotency_key=idempotency_key,
                pending_webhooks=store.pending_webhooks,
            )
    return after


def _settle(store: Store, account: dict[str, Any]) -> None:
    requirements = account["requirements"]
    pending = account["id"] in store.verifications_due
    requirements["eventually_due"] = sorted({*requirements["eventually_due"], *requirements["currently_due"]})
    if not account["details_submitted"]:
        enabled, reason = False, "requirements.past_due"
    elif pending:
        enabled, reason = False, "requirements.pending_verification"
    elif requirements["past_due"] or (requirements["currently_due"] and requirements["current_deadline"] is None):
        enabled, reason = False, "requirements.past_due"
    else:
        enabled, reason = True, None
    account["charges_enabled"] = account["payouts_enabled"] = enabled
    requirements["disabled_reason"] = reason
    capability = "active" if enabled else ("pending" if pending else "inactive")
    account["capabilities"] = {name: capability for name in account["capabilities"]}


def submit_details(store: Store, account_id: str, *, leave_due: list[str], user_agent: str | None = None) -> None:
    """The hosted form's "Submit": everything asked for counts as given except `leave_due`; then
    verification, which ends after the configured delay (at once when it is 0)."""

    def submit(account: dict[str, Any]) -> None:
        if account["business_type"] is None and "business_type" not in leave_due:
            change_business_type(account, "company")  # what the form preselects for an organisation
        requirements = account["requirements"]
        asked = {*requirements["currently_due"], *requirements["eventually_due"], *requirements["past_due"]}
        if account["details_submitted"] and not asked and not leave_due:
            return  # nothing was asked for: no new verification
        satisfy(account, asked - set(leave_due))
        requirements["currently_due"] = sorted({*requirements["currently_due"], *leave_due})
        if not requirements["currently_due"]:
            requirements["current_deadline"] = None
        account["details_submitted"] = True
        tos = account["tos_acceptance"]
        if tos["date"] is None and "tos_acceptance.date" not in leave_due:
            tos.update(date=store.clock.timestamp(), ip=tos["ip"] or "127.0.0.1", user_agent=user_agent)
        verified = set(requirements_for(account["business_type"])) & set(VERIFIED_FIELDS)
        requirements["pending_verification"] = sorted(verified - set(leave_due))
        store.verifications_due[account_id] = store.clock.now() + store.verify_delay_seconds

    change_account(store, account_id, submit)
    if store.verify_delay_seconds <= 0:
        apply_time(store)


def save_details(store: Store, account_id: str, mutate: Mutation) -> None:
    """The hosted form's "Save and finish later": what was filled is kept, the rest stays due."""
    change_account(store, account_id, mutate)


def set_requirements(
    store: Store,
    account_id: str,
    *,
    currently_due: list[str],
    eventually_due: list[str],
    current_deadline: int | None,
) -> dict[str, Any]:
    """As if Stripe asked for more information, by a deadline."""

    def ask(account: dict[str, Any]) -> None:
        requirements = account["requirements"]
        requirements["currently_due"] = sorted(set(currently_due))
        requirements["eventually_due"] = sorted({*currently_due, *eventually_due})
        requirements["past_due"] = [n for n in requirements["past_due"] if n in currently_due]
        requirements["current_deadline"] = current_deadline

    account = change_account(store, account_id, ask)
    apply_time(store)  # a deadline already behind the clock makes the fields past due at once
    return account


def add_bank_account(account: dict[str, Any], *, iban: str, holder: str) -> None:
    """The payout account entered on the hosted form; only the last four characters are kept, as on Stripe."""
    bank_account = {
        "id": new_id("ba"),
        "object": "bank_account",
        "account": account["id"],
        "account_holder_name": holder or None,
        "account_holder_type": "company" if account["business_type"] != "individual" else "individual",
        "bank_name": "STRIPE TEST BANK",
        "country": iban[:2],
        "currency": account["default_currency"],
        "default_for_currency": True,
        "fingerprint": new_id("fp", 16)[3:],
        "last4": iban[-4:],
        "metadata": {},
        "routing_number": None,
        "status": "new",
    }
    external = account["external_accounts"]
    external["data"] = [bank_account]
    external["total_count"] = 1
    satisfy(account, {"external_account"})


def apply_time(store: Store) -> None:
    """Verifications that are done and deadlines that passed, by the stand-in's clock."""
    now = store.clock.now()
    with store.lock:
        verified = [a for a, due in store.verifications_due.items() if due <= now]
        overdue = [
            a["id"]
            for a in store.accounts.values()
            if a["requirements"]["current_deadline"] is not None
            and a["requirements"]["current_deadline"] <= now
            and a["requirements"]["currently_due"]
        ]
    for account_id in verified:
        with store.lock:
            store.verifications_due.pop(account_id, None)

        def finish(account: dict[str, Any]) -> None:
            account["requirements"]["pending_verification"] = []

        change_account(store, account_id, finish)
    for account_id in overdue:
        change_account(store, account_id, _past_deadline)


def _past_deadline(account: dict[str, Any]) -> None:
    requirements = account["requirements"]
    requirements["past_due"] = sorted({*requirements["past_due"], *requirements["currently_due"]})
    requirements["current_deadline"] = None
