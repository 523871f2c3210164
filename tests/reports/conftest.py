"""The portal's fixtures (an app on the test database, signed-in browsers of two organisations)."""

from tests.portal.conftest import app, client, two_orgs  # noqa: F401  (fixtures)
