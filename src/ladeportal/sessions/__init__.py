"""Charging sessions: OCPP transactions, their meter readings, anomalies and orphans."""
