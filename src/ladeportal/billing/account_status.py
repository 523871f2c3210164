"""Where an organisation stands with Stripe, in one of six states, from what Stripe last told us.

`status_of` is pure: it reads the stored description of the account (stripe_accounts), never Stripe.
The words for Stripe's requirement names and disabled reasons are N_-marked msgids; pages and
messages translate them in the reader's language.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from ladeportal.i18n import N_

if TYPE_CHECKING:
    from ladeportal.billing.models import StripeAccount


class PaymentsState(StrEnum):
    not_started = "not_started"  # no Stripe account yet
    in_progress = "in_progress"  # onboarding begun, details not submitted
    waiting_for_stripe = "waiting_for_stripe"  # submitted; Stripe is verifying or enabling
    action_needed = "action_needed"  # Stripe asks for more (by a deadline)
    ready = "ready"  # charges and payouts enabled, nothing due
    restricted = "restricted"  # Stripe has disabled the account (why: disabled_reason)


@dataclass(frozen=True)
class PaymentsStatus:
    state: PaymentsState
    account_id: str | None
    currently_due: tuple[str, ...]
    past_due: tuple[str, ...]
    pending_verification: tuple[str, ...]
    deadline: datetime | None  # requirements.current_deadline, UTC
    disabled_reason: str | None
    charges_enabled: bool
    payouts_enabled: bool
    details_submitted: bool
    synced_at: datetime | None
    last_error_code: str | None


@dataclass(frozen=True)
class AccountFacts:
    """The fields of an account description that decide its state."""

    account_id: str | None
    details_submitted: bool = False
    charges_enabled: bool = False
    payouts_enabled: bool = False
    currently_due: tuple[str, ...] = ()
    past_due: tuple[str, ...] = ()
    pending_verification: tuple[str, ...] = ()
    disabled_reason: str | None = None


# Before the details are submitted, Stripe reports a fresh account as disabled with
# "requirements.past_due" (everything is due at once): that is onboarding in progress, not a
# restriction. These reasons are final whatever was submitted.
_FINAL_REASONS = ("rejected.", "listed", "platform_paused")
_WAITING_REASONS = ("requirements.pending_verification", "under_review")


def state_of(facts: AccountFacts) -> PaymentsState:
    reason = facts.disabled_reason
    if facts.account_id is None:
        return PaymentsState.not_started
    if reason and reason.startswith(_FINAL_REASONS):
        return PaymentsState.restricted
    if not facts.details_submitted:
        return PaymentsState.in_progress
    if reason and reason not in _WAITING_REASONS:
        return PaymentsState.restricted
    if facts.currently_due or facts.past_due:
        return PaymentsState.action_needed
    if reason or facts.pending_verification or not (facts.charges_enabled and facts.payouts_enabled):
        return PaymentsState.waiting_for_stripe
    return PaymentsState.ready


def facts_of(row: StripeAccount) -> AccountFacts:
    return AccountFacts(
        account_id=row.account_id,
        details_submitted=row.details_submitted,
        charges_enabled=row.charges_enabled,
        payouts_enabled=row.payouts_enabled,
        currently_due=tuple(row.currently_due or ()),
        past_due=tuple(row.past_due or ()),
        pending_verification=tuple(row.pending_verification or ()),
        disabled_reason=row.disabled_reason,
    )


def status_of(row: StripeAccount | None) -> PaymentsStatus:
    if row is None:
        return PaymentsStatus(
            state=PaymentsState.not_started,
            account_id=None,
            currently_due=(),
            past_due=(),
            pending_verification=(),
            deadline=None,
            disabled_reason=None,
            charges_enabled=False,
            payouts_enabled=False,
            details_submitted=False,
            synced_at=None,
            last_error_code=None,
        )
    facts = facts_of(row)
    return PaymentsStatus(
        state=state_of(facts),
        account_id=row.account_id,
        currently_due=facts.currently_due,
        past_due=facts.past_due,
        pending_verification=facts.pending_verification,
        deadline=row.current_deadline,
        disabled_reason=row.disabled_reason,
        charges_enabled=row.charges_enabled,
        payouts_enabled=row.payouts_enabled,
        details_submitted=row.details_submitted,
        synced_at=row.synced_at,
        last_error_code=row.last_error_code,
    )


# Stripe's requirement names, by prefix (the longest that matches wins); person_<id>.* and the
# like are about one of the people Stripe needs to know.
_REQUIREMENT_LABELS = {
    "business_profile.url": N_("The organisation's website"),
    "business_profile.mcc": N_("The organisation's line of business"),
    "business_profile.product_description": N_("A description of what the organisation sells"),
    "business_profile": N_("Details of the organisation's business"),
    "business_type": N_("The kind of organisation"),
    "company.tax_id": N_("The organisation number"),
    "company.address": N_("The organisation's address"),
    "company.phone": N_("The organisation's phone number"),
    "company.directors_provided": N_("The board members"),
    "company.owners_provided": N_("The owners"),
    "company.executives_provided": N_("The managers"),
    "company.verification": N_("A document that verifies the organisation"),
    "company": N_("Details of the organisation"),
    "external_account": N_("A bank account for payouts"),
    "representative.verification": N_("Identity verification of the representative"),
    "representative": N_("The person who represents the organisation"),
    "directors": N_("The board members"),
    "owners": N_("The owners"),
    "executives": N_("The managers"),
    "person_": N_("Details of a person connected to the organisation"),
    "individual": N_("Personal details"),
    "tos_acceptance": N_("Acceptance of Stripe's terms"),
    "settings": N_("Payout settings"),
}
OTHER_REQUIREMENT = N_("Other information Stripe asks for")

_REASON_LABELS = {
    "requirements.past_due": N_("Required information was not provided in time"),
    "requirements.pending_verification": N_("Stripe is verifying the information"),
    "under_review": N_("Stripe is reviewing the account"),
    "listed": N_("Stripe has restricted the account after a check"),
    "platform_paused": N_("The platform has paused the account"),
    "rejected.fraud": N_("Stripe has rejected the account (suspected fraud)"),
    "rejected.terms_of_service": N_("Stripe has rejected the account (terms of service)"),
    "rejected.listed": N_("Stripe has rejected the account after a check"),
    "rejected.incomplete_verification": N_("Stripe has rejected the account (verification not completed)"),
    "rejected.other": N_("Stripe has rejected the account"),
    "action_required.requested_capabilities": N_("Stripe needs more information to enable payments"),
    "other": N_("Stripe has restricted the account"),
}


def requirement_label(name: str) -> str:
    """Plain words (a msgid) for a Stripe requirement name such as "representative.dob.day"."""
    matches = [prefix for prefix in _REQUIREMENT_LABELS if name == prefix or name.startswith(prefix)]
    if not matches:
        return OTHER_REQUIREMENT
    return _REQUIREMENT_LABELS[max(matches, key=len)]


def requirement_labels(names: Iterable[str]) -> tuple[str, ...]:
    """The labels of `names`, each once, in the order first met (five representative.* fields are one
    thing to do for the reader)."""
    return tuple(dict.fromkeys(requirement_label(n) for n in names))


def disabled_reason_label(reason: str) -> str:
    """Plain words (a msgid) for an account's requirements.disabled_reason."""
    if reason in _REASON_LABELS:
        return _REASON_LABELS[reason]
    if reason.startswith("rejected."):
        return _REASON_LABELS["rejected.other"]
    return _REASON_LABELS["other"]
