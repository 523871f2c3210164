"""Background work: side effects queued in the database (outbox) and periodic jobs."""
