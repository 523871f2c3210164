"""The hosted onboarding form's fields: what each is called, how it is checked, which of Stripe's
requirement names it provides, and how it becomes account parameters in Stripe's own shape."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from ladeportal.stripe_standin.accounts import BUSINESS_TYPES, requirements_for

MCC_CHOICES = (
    ("5552", "Electric vehicle charging"),
    ("7523", "Parking lots and garages"),
    ("8641", "Civic, social and fraternal associations"),
    ("6513", "Real estate agents and managers (rentals)"),
)
BUSINESS_TYPE_LABELS = {
    "company": "Company",
    "non_profit": "Non-profit organisation (e.g. a housing cooperative)",
    "government_entity": "Government entity",
    "individual": "Individual / sole proprietor",
}
TEXT_FIELDS = (
    "company_name", "company_tax_id", "address_line1", "postal_code", "city", "url", "product_description",
    "first_name", "last_name", "email", "phone", "dob", "account_holder_name",
)  # fmt: skip
# Every requirement the form can provide; others that Stripe asks for count as given on "Submit".
COVERED = frozenset({*requirements_for(None), *requirements_for("company"), *requirements_for("individual")})
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_IBAN = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$")


@dataclass
class FormInput:
    values: dict[str, str]
    iban: str
    tos: bool
    errors: dict[str, str]


def read_form(form: dict[str, str]) -> FormInput:
    values = {name: (form.get(name) or "").strip()[:200] for name in (*TEXT_FIELDS, "business_type", "mcc")}
    iban = re.sub(r"\s+", "", form.get("iban") or "").upper()
    errors: dict[str, str] = {}
    if values["business_type"] and values["business_type"] not in BUSINESS_TYPES:
        errors["business_type"] = "Choose a business type from the list."
    if values["mcc"] and values["mcc"] not in {code for code, _ in MCC_CHOICES}:
        errors["mcc"] = "Choose an industry from the list."
    if values["email"] and not _EMAIL.match(values["email"]):
        errors["email"] = "Enter an e-mail address such as name@example.com."
    if values["url"] and not re.match(r"^https?://[^\s/]+\.[^\s]+$", values["url"]):
        errors["url"] = "Enter a web address starting with https://."
    if values["company_tax_id"] and not re.fullmatch(r"[0-9][0-9 -]{5,14}", values["company_tax_id"]):
        errors["company_tax_id"] = "Enter the organisation number in digits."
    if values["dob"]:
        try:
            born = date.fromisoformat(values["dob"])
            if not date(1900, 1, 1) <= born <= date.today():
                raise ValueError(values["dob"])
        except ValueError:
            errors["dob"] = "Enter the date of birth as YYYY-MM-DD."
    if iban and not valid_iban(iban):
        errors["iban"] = "This IBAN is not valid (check the country code, digits and length)."
    return FormInput(values=values, iban=iban, tos=form.get("tos") == "accept", errors=errors)


def valid_iban(iban: str) -> bool:
    if not _IBAN.match(iban):
        return False
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def account_params(
    entry: FormInput, business_type: str | None, *, ip: str, user_agent: str, now: int
) -> dict[str, Any]:
    """Stripe's account parameters for what was filled in (empty fields leave stored values alone)."""
    v = entry.values
    params: dict[str, Any] = {}
    if v["business_type"]:
        params["business_type"] = v["business_type"]
    profile = {k: v[f] for k, f in (("mcc", "mcc"), ("url", "url"), ("product_description", "product_description"))}
    if any(profile.values()):
        params["business_profile"] = {k: value for k, value in profile.items() if value}
    address = {k: v[f] for k, f in (("line1", "address_line1"), ("postal_code", "postal_code"), ("city", "city"))}
    address = {k: value for k, value in address.items() if value}
    if (v["business_type"] or business_type) == "individual":
        person: dict[str, Any] = {k: v[k] for k in ("first_name", "last_name", "email", "phone") if v[k]}
        if address:
            person["address"] = address
        if v["dob"] and "dob" not in entry.errors:
            born = date.fromisoformat(v["dob"])
            person["dob"] = {"day": str(born.day), "month": str(born.month), "year": str(born.year)}
        if person:
            params["individual"] = person
    else:
        company: dict[str, Any] = {k: v[f] for k, f in (("name", "company_name"), ("tax_id", "company_tax_id")) if v[f]}
        if address:
            company["address"] = address
        if company:
            params["company"] = company
    if entry.tos:
        params["tos_acceptance"] = {"date": str(now), "ip": ip, "user_agent": user_agent[:200] or None}
    return params


def representative_provided(values: dict[str, str]) -> set[str]:
    """Requirement names the representative's fields provide (Stripe keeps them on a person, not the account)."""
    names = {f"representative.{k}" for k in ("first_name", "last_name", "email", "phone") if values.get(k)}
    if values.get("dob"):
        names |= {"representative.dob.day", "representative.dob.month", "representative.dob.year"}
    return names
