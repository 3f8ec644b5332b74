"""The ways a task ends other than success."""


class BuildError(Exception):
    """The task failed; the message is the one line the live log ends with."""


class TaskError(BuildError):
    """The task definition is missing or unusable."""


class Canceled(BuildError):
    """copr-rpmbuild-cancel (or a Ctrl-C) stopped the task."""
