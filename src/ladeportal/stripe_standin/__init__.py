"""A Stripe stand-in: the part of Stripe's API the project uses, for the demo and the tests."""
