"""The platform itself: operator staff accounts and the audit trail."""
