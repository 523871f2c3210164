"""Guest charging at public chargers: chargers and sites opened to guests, the stickers' short codes,
and each guest's charge, paid by a card authorisation on behalf of the owner's Stripe account."""
