"""Messages to people: SMS (login codes, invitations) and e-mail, always sent through the outbox."""
