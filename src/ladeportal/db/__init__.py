"""Database plumbing shared by every business area: the declarative base, column types, engines."""

from ladeportal.db.base import Base, TimestampMixin, utcnow
from ladeportal.db.engine import Database, unit_of_work

__all__ = ["Base", "Database", "TimestampMixin", "unit_of_work", "utcnow"]
