"""Subscription tests run the product's Stripe code against the project's stand-in, as the billing tests do."""

from tests.billing.conftest import standin, stripe_settings  # noqa: F401  (fixtures)
from tests.portal.conftest import app, client, two_orgs  # noqa: F401  (fixtures)
