"""Where an organisation stands with Stripe: the six states, decided from the stored description of its
account alone, and plain words for Stripe's requirement names and disabled reasons."""

from __future__ import annotations

import pytest

from ladeportal.billing.account_status import (
    OTHER_REQUIREMENT,
    AccountFacts,
    PaymentsState,
    disabled_reason_label,
    requirement_label,
    requirement_labels,
    state_of,
    status_of,
)

ACCT = "acct_1"
FRESH_DUE = ("business_profile.url", "external_account", "representative.first_name", "tos_acceptance.date")

CASES = [
    ("no account yet", AccountFacts(account_id=None), PaymentsState.not_started),
    (
        "fresh express account: everything due, disabled past_due before submission",
        AccountFacts(ACCT, currently_due=FRESH_DUE, past_due=FRESH_DUE, disabled_reason="requirements.past_due"),
        PaymentsState.in_progress,
    ),
    ("saved half-way", AccountFacts(ACCT, currently_due=("external_account",)), PaymentsState.in_progress),
    (
        "submitted, Stripe verifying",
        AccountFacts(ACCT, details_submitted=True, pending_verification=("representative.verification.document",)),
        PaymentsState.waiting_for_stripe,
    ),
    (
        "submitted, disabled while verification is pending",
        AccountFacts(ACCT, details_submitted=True, disabled_reason="requirements.pending_verification"),
        PaymentsState.waiting_for_stripe,
    ),
    (
        "submitted, nothing due, charges not enabled yet",
        AccountFacts(ACCT, details_submitted=True, payouts_enabled=True),
        PaymentsState.waiting_for_stripe,
    ),
    (
        "submitted, charges on, payouts not yet",
        AccountFacts(ACCT, details_submitted=True, charges_enabled=True),
        PaymentsState.waiting_for_stripe,
    ),
    (
        "Stripe asks for more by a deadline",
        AccountFacts(
            ACCT, details_submitted=True, charges_enabled=True, payouts_enabled=True, currently_due=("company.tax_id",)
        ),
        PaymentsState.action_needed,
    ),
    (
        "past due after submission, not yet disabled",
        AccountFacts(ACCT, details_submitted=True, charges_enabled=True, past_due=("external_account",)),
        PaymentsState.action_needed,
    ),
    (
        "ready",
        AccountFacts(ACCT, details_submitted=True, charges_enabled=True, payouts_enabled=True),
        PaymentsState.ready,
    ),
    (
        "past due after submission and disabled",
        AccountFacts(
            ACCT, details_submitted=True, past_due=("external_account",), disabled_reason="requirements.past_due"
        ),
        PaymentsState.restricted,
    ),
    (
        "rejected after submission",
        AccountFacts(ACCT, details_submitted=True, disabled_reason="rejected.fraud"),
        PaymentsState.restricted,
    ),
    (
        "rejected before submission",
        AccountFacts(ACCT, currently_due=FRESH_DUE, disabled_reason="rejected.terms_of_service"),
        PaymentsState.restricted,
    ),
    ("paused by the platform", AccountFacts(ACCT, disabled_reason="platform_paused"), PaymentsState.restricted),
    (
        "listed after submission",
        AccountFacts(
            ACCT, details_submitted=True, charges_enabled=True, payouts_enabled=True, disabled_reason="listed"
        ),
        PaymentsState.restricted,
    ),
]


@pytest.mark.parametrize(("facts", "state"), [(f, s) for _, f, s in CASES], ids=[c[0] for c in CASES])
def test_state_of_the_stored_description(facts: AccountFacts, state: PaymentsState) -> None:
    assert state_of(facts) == state


def test_no_row_is_not_started_with_nothing_due() -> None:
    status = status_of(None)
    assert status.state == PaymentsState.not_started
    assert status.account_id is None and status.currently_due == () and not status.charges_enabled


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("external_account", "A bank account for payouts"),
        ("representative.dob.day", "The person who represents the organisation"),
        ("representative.verification.document", "Identity verification of the representative"),
        ("business_profile.mcc", "The organisation's line of business"),
        ("company.address.city", "The organisation's address"),
        ("company.name", "Details of the organisation"),
        ("tos_acceptance.ip", "Acceptance of Stripe's terms"),
        ("person_1AbC.verification.document", "Details of a person connected to the organisation"),
        ("something.stripe.invents.later", OTHER_REQUIREMENT),
    ],
)
def test_requirement_names_in_plain_words(name: str, label: str) -> None:
    assert requirement_label(name) == label


def test_one_thing_to_do_per_label_in_the_order_met() -> None:
    names = ["representative.first_name", "external_account", "representative.last_name", "representative.dob.day"]
    assert requirement_labels(names) == ("The person who represents the organisation", "A bank account for payouts")


def test_disabled_reasons_in_plain_words() -> None:
    assert disabled_reason_label("requirements.past_due") == "Required information was not provided in time"
    assert disabled_reason_label("rejected.fraud") == "Stripe has rejected the account (suspected fraud)"
    assert disabled_reason_label("rejected.something_new") == "Stripe has rejected the account"
    assert disabled_reason_label("a_new_reason") == "Stripe has restricted the account"


def test_every_label_is_translated_to_bokmal() -> None:
    from ladeportal.billing import account_status
    from ladeportal.i18n import translations

    nb = translations("nb").gettext
    labels = {*account_status._REQUIREMENT_LABELS.values(), *account_status._REASON_LABELS.values(), OTHER_REQUIREMENT}
    assert [label for label in labels if nb(label) == label] == []
