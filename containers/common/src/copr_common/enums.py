"""Build and action states, with the numbers upstream Copr uses on the wire and in the database."""

import enum


class StatusEnum(enum.IntEnum):
    """A build (chroot) state."""

    failed = 0
    succeeded = 1
    canceled = 2
    running = 3
    pending = 4
    skipped = 5
    starting = 6
    importing = 7
    forked = 8
    waiting = 9


FINISHED_STATES = {StatusEnum.failed, StatusEnum.succeeded, StatusEnum.canceled, StatusEnum.skipped}
