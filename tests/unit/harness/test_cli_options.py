"""The command line's grammar: shared options declared once, the scenario given the same way on
every command that takes one, and --run-id saying what it does for each command."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import cli

SCENARIO_COMMANDS = ["up", "kube", "sanity", "post-release", "plan", "rehearse"]
NEW_RUN = ["up", "kube", "rehearse"]
EXISTING_RUN = ["load", "down", "status", "logs", "env"]


def subcommand(name: str):
    actions = [a for a in cli.parser()._actions if a.dest == "command_name"]
    return actions[0].choices[name]


def option_help(name: str, option: str) -> str:
    return next(a.help for a in subcommand(name)._actions if option in a.option_strings)


@pytest.mark.parametrize("command", SCENARIO_COMMANDS)
def test_every_command_takes_the_scenario_positionally(command):
    assert cli.parse([command, "s.yaml"]).scenario == Path("s.yaml")


@pytest.mark.parametrize("command", SCENARIO_COMMANDS)
def test_the_older_scenario_option_still_works(command):
    assert cli.parse([command, "--scenario", "s.yaml"]).scenario == Path("s.yaml")


def test_the_scenario_is_given_once(capsys):
    with pytest.raises(SystemExit) as exited:
        cli.parse(["up", "a.yaml", "--scenario", "b.yaml"])
    assert exited.value.code == 2
    assert "give the scenario once" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["plan", "rehearse"])
def test_plan_and_rehearse_need_a_scenario(command, capsys):
    with pytest.raises(SystemExit) as exited:
        cli.parse([command])
    assert exited.value.code == 2
    assert f"{command} needs a SCENARIO file" in capsys.readouterr().err


def test_the_other_commands_default_to_the_default_scenario():
    assert cli.parse(["up"]).scenario is None  # load_scenario(None): scenarios/default.yaml


@pytest.mark.parametrize("command", NEW_RUN)
def test_run_id_names_the_new_run_where_one_is_made(command):
    assert option_help(command, "--run-id") == "id of the new run (default: a fresh one)"


@pytest.mark.parametrize("command", ["sanity", "post-release"])
def test_a_gates_run_id_may_name_an_existing_run(command):
    assert "an existing run's id runs the suite against it" in option_help(command, "--run-id")


@pytest.mark.parametrize("command", EXISTING_RUN)
def test_run_id_names_the_run_acted_on_elsewhere(command):
    assert option_help(command, "--run-id") == "the run to act on (default: the only run on this host)"


@pytest.mark.parametrize("command", ["doctor", "images", "plan", "bench", "gc"])
def test_commands_without_a_run_have_no_run_id(command):
    assert not any("--run-id" in a.option_strings for a in subcommand(command)._actions)


def test_shared_options_mean_the_same_everywhere():
    for command in ("up", "kube"):
        assert cli.parse([command, "--versions", "production"]).versions == "production"
    for command in ("sanity", "post-release", "rehearse"):
        assert cli.parse([command, "s.yaml", "--keep"]).keep
