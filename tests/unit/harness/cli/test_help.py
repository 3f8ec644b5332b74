"""Help texts: each command's line is a whole sentence (the kube line was cut mid-sentence), and
--help lists every environment variable the harness reads."""

from __future__ import annotations

import re

import pytest

from harness import cli
from harness.cli.grammar import summary
from harness.cli.options import ENVIRONMENT
from harness.paths import ROOT

# Variables the harness sets for the processes it starts (pytest), not for users to set.
INTERNAL = {"COPR_HARNESS_PROJECT_LEDGER", "COPR_HARNESS_TARGET_LOGS", "COPR_HARNESS_NEEDS_FILE",
            "COPR_HARNESS_BUILD_LOG", "PYTEST_CURRENT_TEST"}


def commands() -> dict:
    action = next(a for a in cli.parser()._actions if a.dest == "command_name")
    return dict(action.choices)


def test_a_summary_is_the_first_sentence_whole():
    doc = """Write manifests of a stack (images with its RPMs
    installed). With --play, run them."""
    assert summary(doc) == "Write manifests of a stack (images with its RPMs installed)"
    assert summary("Remove a run.") == "Remove a run"
    assert summary("Ends at 1.5 s. Not here.") == "Ends at 1.5 s"


@pytest.mark.parametrize("name", sorted(commands()))
def test_every_command_line_is_a_whole_sentence(name):
    action = next(a for a in cli.parser()._actions if a.dest == "command_name")
    line = next(c.help for c in action._choices_actions if c.dest == name)
    doc = " ".join(commands()[name].description.split())
    assert doc.startswith(line) and doc[len(line)] == ".", (name, line)
    assert line.count("(") == line.count(")"), line


def test_the_kube_line_is_not_cut(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "kube Write Kubernetes manifests of a scenario's stack (images with its RPMs installed) " in out


def names_read_by_the_harness() -> set[str]:
    """Every variable name the harness's sources read from the environment."""
    found = set()
    for path in (ROOT / "harness").rglob("*.py"):
        text = path.read_text()
        found |= set(re.findall(r'environ(?:\.get)?[\[(]"([A-Z_]+)"', text))
        found |= set(re.findall(r'^[A-Z_]*VARIABLE = "([A-Z_]+)"', text, re.M))
    return found


def test_help_lists_every_variable_the_harness_reads(capsys):
    read = names_read_by_the_harness()
    assert "COPR_HARNESS_REPORTS" in read and "CONTAINER_HOST" in read  # the scan finds them
    assert read - INTERNAL <= set(ENVIRONMENT), read - INTERNAL - set(ENVIRONMENT)
    assert set(ENVIRONMENT) <= read  # and lists none it does not read
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    for name in ENVIRONMENT:
        assert f"\n  {name} " in out


def test_a_command_help_shows_the_variables_too(capsys):
    with pytest.raises(SystemExit):
        cli.main(["up", "--help"])
    out = capsys.readouterr().out
    assert "environment variables:" in out and "COPR_HARNESS_REPORTS" in out
    assert "COPR_HARNESS_LOG_LEVEL=warning" in out  # -q says which variable it sets
