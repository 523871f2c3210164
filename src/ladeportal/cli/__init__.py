"""The `ladeportal` command line."""
