"""Errors the CLI turns into stable exit codes."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1  # tests or rules failed
EXIT_USAGE = 2  # bad usage or bad input
EXIT_INFRA = 3  # Podman missing or broken, image build failed, a service never got ready
EXIT_INTERRUPTED = 130  # SIGINT or SIGTERM (harness.interrupts); everything started is removed
EXIT_BROKEN_PIPE = 141  # the reader of stdout went away (`| head`): 128 + SIGPIPE, as a shell says


class HarnessError(Exception):
    """An error with a one-line message for the user and an exit code."""

    exit_code = EXIT_FAILED

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class InputError(HarnessError):
    """Bad input: a file, field, package or argument at fault."""

    exit_code = EXIT_USAGE


class InfraError(HarnessError):
    """The infrastructure failed: Podman, an image build, a readiness wait."""

    exit_code = EXIT_INFRA


class PackageError(HarnessError):
    """An rpm transaction failed (for example an unmet Requires)."""

    exit_code = EXIT_FAILED
