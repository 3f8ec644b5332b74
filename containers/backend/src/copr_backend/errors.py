"""Exceptions shared by the backend's modules."""


class Canceled(Exception):
    """The task was canceled (by a cancel request) while the backend worked on it."""
