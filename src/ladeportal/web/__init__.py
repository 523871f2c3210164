"""HTTP transports: the JSON API, the owner portal pages, health checks."""
