"""Signing in to the portal: one-time login codes by SMS, portal sessions, send limits."""
