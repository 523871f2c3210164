"""Simulated OCPP 1.6J charge points, for tests, demos and load against any central system."""

from ladeportal.simulator.charger import SimulatedCharger
from ladeportal.simulator.connectors import Connector, Transaction
from ladeportal.simulator.frames import CallErrorReply, ConnectionLost
from ladeportal.simulator.runner import Simulator

__all__ = ["CallErrorReply", "ConnectionLost", "Connector", "SimulatedCharger", "Simulator", "Transaction"]
