"""Express accounts as Stripe shapes them, and the requirement names Stripe asks of them. Pure functions on
the account dicts; the store and the events are the business of `account_changes`."""

from __future__ import annotations

import re
from typing import Any

from ladeportal.stripe_standin import account_shapes as shapes
from ladeportal.stripe_standin.errors import StripeApiError, invalid_param, unknown_param
from ladeportal.stripe_standin.params import as_bool, as_hash, as_string

CURRENCY_OF_COUNTRY = {"NO": "nok", "SE": "sek", "DK": "dkk", "FI": "eur", "DE": "eur", "GB": "gbp", "US": "usd"}
BUSINESS_TYPES = ("company", "government_entity", "individual", "non_profit")
_CAPABILITY = re.compile(r"^[a-z][a-z0-9_]{1,60}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

BASE_REQUIREMENTS = ("business_profile.mcc", "business_profile.url", "external_account")
TOS_REQUIREMENTS = ("tos_acceptance.date", "tos_acceptance.ip")
ADDRESS = ("address.city", "address.line1", "address.postal_code")
PERSON = ("dob.day", "dob.month", "dob.year", "email", "first_name", "last_name", "phone")
COMPANY_REQUIREMENTS = (
    *(f"company.{n}" for n in (*ADDRESS, "name", "tax_id")),
    *(f"representative.{n}" for n in PERSON),
)
INDIVIDUAL_REQUIREMENTS = tuple(f"individual.{n}" for n in (*ADDRESS, *PERSON))
# Verified by "Stripe" after submission: identity and registration details.
VERIFIED_FIELDS = ("company.tax_id", "individual.dob.day", "representative.dob.day", "individual.id_number")

CREATE_PARAMS = (
    "type", "controller", "country", "business_type", "email", "company", "individual", "business_profile",
    "capabilities", "metadata", "settings", "tos_acceptance", "default_currency", "expand",
)  # fmt: skip
UPDATE_PARAMS = (
    "business_type", "email", "company", "individual", "business_profile", "capabilities", "metadata",
    "settings", "tos_acceptance", "expand",
)  # fmt: skip


def requirements_for(business_type: str | None) -> list[str]:
    """What a fresh Express account in the Nordics is asked for, sorted as Stripe lists them."""
    if business_type is None:
        specific: tuple[str, ...] = ("business_type",)
    elif business_type == "individual":
        specific = INDIVIDUAL_REQUIREMENTS
    else:
        specific = COMPANY_REQUIREMENTS
    return sorted({*BASE_REQUIREMENTS, *TOS_REQUIREMENTS, *specific})


def new_account(account_id: str, params: dict[str, Any], created: int) -> dict[str, Any]:
    """A new Express account from POST /v1/accounts parameters (raises Stripe's errors for bad ones)."""
    for name in params:
        if name not in CREATE_PARAMS:
            raise unknown_param(name)
    _check_express(params)
    country = (as_string(params, "country") or "NO").upper()
    if country not in CURRENCY_OF_COUNTRY:
        raise invalid_param("country", f"Country '{country}' is unknown or not supported by the stand-in.")
    business_type = _business_type(params)
    account: dict[str, Any] = {
        "id": account_id,
        "object": "account",
        "business_profile": shapes.business_profile(),
        "business_type": business_type,
        "capabilities": {},
        "charges_enabled": False,
        "company": shapes.company(),
        "controller": shapes.express_controller(),
        "country": country,
        "created": created,
        "default_currency": CURRENCY_OF_COUNTRY[country],
        "details_submitted": False,
        "email": None,
        "external_accounts": {
            "object": "list",
            "data": [],
            "has_more": False,
            "total_count": 0,
            "url": f"/v1/accounts/{account_id}/external_accounts",
        },
        "future_requirements": {**shapes.requirements([]), "disabled_reason": None},
        "metadata": {},
        "payouts_enabled": False,
        "requirements": shapes.requirements([]),
        "settings": shapes.settings(country),
        "tos_acceptance": {"date": None, "ip": None, "user_agent": None},
        "type": "express",
    }
    account["company"]["address"]["country"] = country
    due = requirements_for(business_type)
    account["requirements"] = shapes.requirements(due)
    account["requirements"]["past_due"] = []  # a fresh account is disabled "past due" with nothing past due
    apply_update(account, {k: v for k, v in params.items() if k in UPDATE_PARAMS and k != "business_type"})
    return account


def _check_express(params: dict[str, Any]) -> None:
    account_type = as_string(params, "type")
    controller = as_hash(params, "controller")
    if account_type is not None and controller is not None:
        raise StripeApiError(400, "You cannot specify both `type` and `controller`.", param="type")
    if account_type is not None and account_type != "express":
        raise invalid_param("type", f"The Stripe stand-in makes Express accounts only, not '{account_type}'.")
    if controller is not None:
        dashboard = as_hash(controller, "stripe_dashboard", "controller[stripe_dashboard]") or {}
        if dashboard.get("type") != "express":
            raise invalid_param(
                "controller[stripe_dashboard][type]",
                "The Stripe stand-in makes Express accounts only: controller[stripe_dashboard][type] must be express.",
            )
    if account_type is None and controller is None:
        raise StripeApiError(
            400, "Missing required param: type (the stand-in makes Express accounts).", code="parameter_missing",
            param="type",
        )  # fmt: skip


def _business_type(params: dict[str, Any]) -> str | None:
    value = as_string(params, "business_type")
    if value is None or value == "":
        return None
    if value not in BUSINESS_TYPES:
        raise invalid_param("business_type", f"Invalid business_type: must be one of {', '.join(BUSINESS_TYPES)}")
    return value


def apply_update(account: dict[str, Any], params: dict[str, Any], *, tos_ip: str | None = None) -> set[str]:
    """Applies POST /v1/accounts/{id} parameters; returns the requirement names they satisfy."""
    for name in params:
        if name not in UPDATE_PARAMS:
            raise unknown_param(name)
    provided: set[str] = set()
    if "business_type" in params:
        change_business_type(account, _business_type(params))
    if "email" in params:
        email = as_string(params, "email") or None
        if email is not None and not _EMAIL.match(email):
            raise invalid_param("email", f"Invalid email address: {email}")
        account["email"] = email
    if (metadata := as_hash(params, "metadata")) is not None:
        account["metadata"] = merged_metadata(account["metadata"], metadata)
    if (capabilities := as_hash(params, "capabilities")) is not None:
        _request_capabilities(account, capabilities)
    if (profile := as_hash(params, "business_profile")) is not None:
        _merge(account["business_profile"], profile, "business_profile")
        provided |= {f"business_profile.{k}" for k in ("mcc", "url") if account["business_profile"][k]}
        if account["business_profile"]["product_description"]:
            provided.add("business_profile.url")  # Stripe takes a description where there is no website
    if (company := as_hash(params, "company")) is not None:
        company = dict(company)
        tax_id = as_string(company, "tax_id", "company[tax_id]")
        company.pop("tax_id", None)
        _merge(account["company"], company, "company")
        if tax_id:
            account["company"]["tax_id_provided"] = True  # write-only on Stripe: never shown back
        provided |= _provided(account["company"], "company")
        if account["company"]["tax_id_provided"]:
            provided.add("company.tax_id")
    if (individual := as_hash(params, "individual")) is not None:
        account.setdefault("individual", shapes.individual(account["id"], account["created"]))
        _merge(account["individual"], individual, "individual")
        provided |= _provided(account["individual"], "individual")
    if (settings := as_hash(params, "settings")) is not None:
        _merge(account["settings"], settings, "settings")
    if (tos := as_hash(params, "tos_acceptance")) is not None:
        _merge(account["tos_acceptance"], tos, "tos_acceptance")
        if tos_ip and account["tos_acceptance"]["ip"] is None:
            account["tos_acceptance"]["ip"] = tos_ip
        provided |= {f"tos_acceptance.{k}" for k in ("date", "ip") if account["tos_acceptance"][k]}
    satisfy(account, provided)
    return provided


def change_business_type(account: dict[str, Any], business_type: str | None) -> None:
    if business_type == account["business_type"]:
        return
    if account["details_submitted"]:
        raise invalid_param("business_type", "You cannot change `business_type` after details were submitted.")
    old = set(requirements_for(account["business_type"]))
    new = set(requirements_for(business_type))
    requirements = account["requirements"]
    for key in ("currently_due", "eventually_due"):
        kept = [n for n in requirements[key] if n not in old or n in new]
        requirements[key] = sorted({*kept, *(new - old)})
    account["business_type"] = business_type


def _merge(target: dict[str, Any], params: dict[str, Any], prefix: str) -> None:
    """Sets known fields only (like Stripe, an unknown name is an error); "" clears a value."""
    for name, value in params.items():
        path = f"{prefix}[{name}]"
        if name not in target:
            raise unknown_param(path)
        current = target[name]
        if isinstance(current, dict) or (current is None and isinstance(value, dict)):
            if not isinstance(value, dict):
                if value == "":
                    target[name] = None if current is None else {k: None for k in current}
                    continue
                raise StripeApiError(400, f"Invalid object: {path} must be a hash", param=path)
            if current is None:
                target[name] = current = {}
                for key in value:
                    current[key] = None
            _merge(current, value, path)
        elif isinstance(value, (dict, list)):
            raise invalid_param(path, f"Invalid {path}: must be a string")
        elif isinstance(current, bool):
            converted = as_bool({name: value}, name, path)
            target[name] = current if converted is None else converted
        elif isinstance(current, int) or name in ("day", "month", "year", "delay_days", "date"):
            if value == "":
                target[name] = None
            elif not value.isdigit():
                raise StripeApiError(400, f"Invalid integer: {value}", code="parameter_invalid_integer", param=path)
            else:
                target[name] = int(value)
        else:
            target[name] = value or None


def _provided(entity: dict[str, Any], prefix: str) -> set[str]:
    names = set()
    for name, value in entity.items():
        if isinstance(value, dict):
            names |= {f"{name}.{inner}" for inner, v in value.items() if v not in (None, "")}
        elif value not in (None, "", False):
            names.add(name)
    return {f"{prefix}.{n}" for n in names}


def merged_metadata(current: dict[str, str], update: dict[str, Any]) -> dict[str, str]:
    if update == {}:
        return {}
    result = dict(current)
    for key, value in update.items():
        if not isinstance(value, str):
            raise invalid_param(f"metadata[{key}]", "Metadata values must be strings.")
        if len(key) > 40:
            raise invalid_param(f"metadata[{key}]", "Metadata keys can be at most 40 characters long.")
        if len(value) > 500:
            raise invalid_param(f"metadata[{key}]", "Metadata values can be at most 500 characters long.")
        if value == "":
            result.pop(key, None)
        else:
            result[key] = value
    if len(result) > 50:
        raise invalid_param("metadata", "You can have at most 50 metadata keys.")
    return result


def _request_capabilities(account: dict[str, Any], capabilities: dict[str, Any]) -> None:
    for name, options in capabilities.items():
        path = f"capabilities[{name}]"
        if not _CAPABILITY.match(name) or not isinstance(options, dict):
            raise invalid_param(path, f"Invalid capability: {name}")
        requested = as_bool(options, "requested", f"{path}[requested]")
        if requested is None:
            raise StripeApiError(400, f"Missing required param: {path}[requested].", param=f"{path}[requested]")
        if requested:
            account["capabilities"].setdefault(name, "active" if account["charges_enabled"] else "inactive")
        else:
            account["capabilities"].pop(name, None)


def satisfy(account: dict[str, Any], provided: set[str]) -> None:
    """Removes provided names from what is due (details given before submission still count)."""
    requirements = account["requirements"]
    for key in ("currently_due", "eventually_due", "past_due"):
        requirements[key] = [n for n in requirements[key] if n not in provided]
