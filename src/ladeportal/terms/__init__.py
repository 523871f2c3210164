"""Versioned terms with the platform company: drafts, publication, each organisation's acceptance,
notices and reminders, and what happens to an organisation that has not accepted by the date."""
