"""Ladeportal: run EV charging installations."""

__version__ = "0.1.0"
