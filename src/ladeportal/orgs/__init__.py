"""Organisations (installation owners) and their sites."""
