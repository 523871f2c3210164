"""Migrations are the only way a schema is made; they agree with the models and run both ways."""

from ladeportal.db import migrate


def test_models_and_migrations_agree(database_url: str) -> None:
    # The session database was built by `upgrade heads`; autogenerate must find nothing to do.
    assert migrate.schema_differences(database_url) == []


def test_foundation_migration_downgrades_and_upgrades_again(tmp_path: object) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/roundtrip.db"
    migrate.upgrade(url)
    migrate.downgrade(url, "base")
    migrate.upgrade(url)
    assert migrate.schema_differences(url) == []
