"""Billing: owners' Stripe Connect accounts and Stripe events (payments foundation)."""
