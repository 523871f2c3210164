"""Charge points, their connectors and their OCPP credentials."""
