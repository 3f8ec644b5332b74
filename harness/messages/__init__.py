"""Copr's build messages on a stack's broker: consuming them (bus) and checking them against
copr-messaging's schemas and the API (checks)."""
