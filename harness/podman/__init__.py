"""Podman: the one wrapper every container operation goes through (engine), finding or starting the
API service (service), and the host quirks it configures around (quirks)."""
