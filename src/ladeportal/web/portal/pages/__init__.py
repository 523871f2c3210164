"""The portal's page modules; each has a `router` and registers its navigation section on import."""
