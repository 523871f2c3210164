"""The OCPP-J central system: handshake and auth, frames, schema validation, per-version handlers.

The core (ChargerConnection, Gateway) knows nothing about the web server: `websocket_server` runs it
on a plain `websockets` server (`ladeportal gateway`), `asgi` mounts it in the FastAPI app.
"""
