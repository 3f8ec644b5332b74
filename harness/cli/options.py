"""Option types and the options several commands share, each declared once (argparse parents)."""

from __future__ import annotations

import argparse
import textwrap
from collections.abc import Callable
from pathlib import Path

from harness.errors import InputError
from harness.naming import check_run_id
from harness.progress import LEVEL_VARIABLE

# Every environment variable the harness reads, and what for (shown by `copr-harness --help`).
ENVIRONMENT = {
    "CONTAINER_HOST": "the Podman API to use (default: the first socket that answers, else the "
                      "harness starts its own service)",
    "COPR_HARNESS_REPORTS": "folder of the run reports (default: build/reports)",
    "COPR_HARNESS_ROOT": "the harness's tree: containers/ and scenarios/ (default: the checkout)",
    "COPR_HARNESS_PIP": "the pip command that fetches upstream packages (default: this Python's pip)",
    LEVEL_VARIABLE: "progress on stderr: warning, info or debug (set by -q and -v; default info)",
    "COPR_STACK": "a run's stack.json, for the suites and the pytest plugin (set by 'env')",
    "COPR_SANITY_BUILD_TIMEOUT": "seconds a suite waits for one build (default 120)",
    "COPR_HARNESS_KEEP_PROJECTS": "the pytest plugin leaves the projects a suite made (set by --target --keep)",
    "GITHUB_STEP_SUMMARY": "file a gate appends its summary.md to (set by GitHub Actions)",
    "XDG_STATE_HOME": "where runs keep their copr-cli configs (default: ~/.local/state)",
    "XDG_CACHE_HOME": "cache of images, RPMs and wheels (default: ~/.cache)",
    "XDG_RUNTIME_DIR": "where the harness's own Podman service puts its socket (default: /run)",
}


def environment_epilog() -> str:
    """The --help text listing ENVIRONMENT."""
    width = max(len(name) for name in ENVIRONMENT)
    return "environment variables:\n" + "\n".join(
        textwrap.fill(what, 100, initial_indent=f"  {name:{width}}  ",
                      subsequent_indent=" " * (width + 4)) for name, what in ENVIRONMENT.items())


def count(minimum: int) -> Callable[[str], int]:
    """argparse type of a count: a whole number of at least `minimum`."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum:
            raise argparse.ArgumentTypeError(f"'{text}' is not a whole number of at least {minimum}")
        return value

    return parse


def _workers(text: str) -> str:
    """argparse type of -n (pytest-xdist's workers): auto, logical, or a whole number >= 0."""
    if text in ("auto", "logical") or (text.isdigit() and text.isascii()):
        return text
    raise argparse.ArgumentTypeError(f"'{text}' is not 'auto', 'logical' or a whole number of at least 0")


def run_id(text: str) -> str:
    """argparse type of --run-id: a malformed run id is a usage error naming it."""
    try:
        return check_run_id(text)
    except InputError as error:
        raise argparse.ArgumentTypeError(error.message) from None


def shared() -> dict[str, argparse.ArgumentParser]:
    """The options several commands share, by name."""
    def group() -> argparse.ArgumentParser:
        return argparse.ArgumentParser(add_help=False)

    made = {name: group() for name in ("new_run", "run", "scenario", "scenario_required",
                                         "versions", "keep", "suite", "format", "logging")}
    made["new_run"].add_argument(
        "--run-id", type=run_id, help="id of the new run (default: a fresh one)")
    made["run"].add_argument(
        "--run-id", type=run_id, help="the run to act on (default: the only run on this host)")
    for name, what in (("scenario", "scenario file (default: scenarios/default.yaml)"),
                       ("scenario_required", "scenario file with production and candidate sets")):
        # Optional for argparse even where required: `parse` accepts --scenario in its place.
        made[name].add_argument("scenario", type=Path, nargs="?", metavar="SCENARIO", help=what)
        # The older spelling, still accepted: --scenario FILE.
        made[name].add_argument("--scenario", type=Path, dest="scenario_option",
                                help=argparse.SUPPRESS)
    made["versions"].add_argument(
        "--versions", choices=["candidate", "production"], default="candidate",
        help="which package set of the scenario to install (default: candidate)")
    made["keep"].add_argument("--keep", action="store_true",
                              help="leave the stack running afterwards")
    made["suite"].add_argument("-k", metavar="EXPR", help="only tests matching EXPR (pytest -k)")
    made["suite"].add_argument("-n", metavar="N", type=_workers,
                               help="parallel workers (pytest-xdist -n; default auto)")
    made["format"].add_argument("--format", choices=["text", "json"], default="text",
                                help="text for people (default) or json for programs")
    add_logging(made["logging"], suppress=True)
    return made


def add_logging(parser: argparse.ArgumentParser, suppress: bool = False) -> None:
    """-q and -v, accepted before the command and after it (`suppress`: a subcommand's copy must
    not overwrite what was given before the command)."""
    default = argparse.SUPPRESS if suppress else 0
    parser.add_argument("-q", "--quiet", action="count", default=default,
                        help=f"no progress lines on stderr, only warnings and errors "
                             f"(sets {LEVEL_VARIABLE}=warning)")
    parser.add_argument("-v", "--verbose", action="count", default=default,
                        help=f"debug lines too (sets {LEVEL_VARIABLE}=debug)")
