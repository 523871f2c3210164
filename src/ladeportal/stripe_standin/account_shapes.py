"""The blank parts of an Express account, field for field as Stripe returns them."""

from __future__ import annotations

from typing import Any


def empty_address() -> dict[str, Any]:
    return {"city": None, "country": None, "line1": None, "line2": None, "postal_code": None, "state": None}


def requirements(due: list[str]) -> dict[str, Any]:
    return {
        "alternatives": [],
        "current_deadline": None,
        "currently_due": list(due),
        "disabled_reason": "requirements.past_due" if due else None,
        "errors": [],
        "eventually_due": list(due),
        "past_due": list(due),
        "pending_verification": [],
    }


def settings(country: str) -> dict[str, Any]:
    return {
        "bacs_debit_payments": {"display_name": None, "service_user_number": None},
        "branding": {"icon": None, "logo": None, "primary_color": None, "secondary_color": None},
        "card_issuing": {"tos_acceptance": {"date": None, "ip": None}},
        "card_payments": {
            "decline_on": {"avs_failure": False, "cvc_failure": False},
            "statement_descriptor_prefix": None,
            "statement_descriptor_prefix_kana": None,
            "statement_descriptor_prefix_kanji": None,
        },
        "dashboard": {"display_name": None, "timezone": "Europe/Oslo" if country == "NO" else "Europe/Stockholm"},
        "invoices": {"default_account_tax_ids": None, "hosted_payment_method_save": "offer"},
        "payments": {
            "statement_descriptor": None,
            "statement_descriptor_kana": None,
            "statement_descriptor_kanji": None,
            "statement_descriptor_prefix_kana": None,
            "statement_descriptor_prefix_kanji": None,
        },
        "payouts": {
            "debit_negative_balances": True,
            "schedule": {"delay_days": 7, "interval": "daily"},
            "statement_descriptor": None,
        },
        "sepa_debit_payments": {},
    }


def business_profile() -> dict[str, Any]:
    return {
        "annual_revenue": {"amount": None, "currency": None, "fiscal_year_end": None},
        "estimated_worker_count": None,
        "mcc": None,
        "minority_owned_business_designation": None,
        "name": None,
        "product_description": None,
        "support_address": empty_address(),
        "support_email": None,
        "support_phone": None,
        "support_url": None,
        "url": None,
    }


def company() -> dict[str, Any]:
    return {
        "address": empty_address(),
        "directors_provided": False,
        "executives_provided": False,
        "name": None,
        "owners_provided": False,
        "phone": None,
        "structure": None,
        "tax_id_provided": False,
        "verification": {"document": {"back": None, "details": None, "details_code": None, "front": None}},
    }


def express_controller() -> dict[str, Any]:
    return {
        "fees": {"payer": "application"},
        "is_controller": True,
        "losses": {"payments": "application"},
        "requirement_collection": "stripe",
        "stripe_dashboard": {"type": "express"},
        "type": "application",
    }


def individual(account_id: str, created: int) -> dict[str, Any]:
    return {
        "id": f"person_{account_id[5:]}",
        "object": "person",
        "account": account_id,
        "address": empty_address(),
        "created": created,
        "dob": {"day": None, "month": None, "year": None},
        "email": None,
        "first_name": None,
        "last_name": None,
        "metadata": {},
        "phone": None,
    }
