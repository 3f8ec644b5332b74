"""`copr-harness completion bash|zsh`: a script made from the parser, checked by running the
completion function in a real bash with the words a user would have typed."""

from __future__ import annotations

import shlex
import shutil
import subprocess

import pytest

from harness import cli

needs_bash = pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")


@pytest.fixture(scope="module")
def script(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("completion")
    # `list --ids` as the completion calls it: a stand-in that names two runs.
    (folder / "copr-harness").write_text("#!/bin/sh\n[ \"$1 $2\" = 'list --ids' ] && "
                                         "printf 'ch-aaa\\nch-bbb\\n'\n")
    (folder / "copr-harness").chmod(0o755)
    return str(folder / "copr-harness")


def complete(capsys, script: str, line: str) -> list[str]:
    """The candidates bash offers for `line` (the cursor at its end)."""
    assert cli.main(["completion", "bash"]) == 0
    source = capsys.readouterr().out
    words = shlex.split(line) + ([""] if line.endswith(" ") else [])
    words[0] = script
    program = (source + f"\nCOMP_WORDS=({' '.join(shlex.quote(w) for w in words)})\n"
               f"COMP_CWORD={len(words) - 1}\n_copr_harness\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n")
    done = subprocess.run(["bash", "--norc", "-c", program], capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == 0, done.stderr
    return [w for w in done.stdout.splitlines() if w]


@needs_bash
def test_commands_complete(capsys, script):
    assert sorted(complete(capsys, script, "copr-harness l")) == ["list", "load", "logs"]


@needs_bash
def test_a_commands_options_complete(capsys, script):
    offered = complete(capsys, script, "copr-harness logs --")
    assert {"--follow", "--tail", "--run-id", "--quiet", "--verbose"} <= set(offered)
    assert "--scenario" not in complete(capsys, script, "copr-harness up --")  # hidden spelling


@needs_bash
def test_choices_complete(capsys, script):
    assert complete(capsys, script, "copr-harness status --format ") == ["text", "json"]
    assert complete(capsys, script, "copr-harness completion ") == ["bash", "zsh"]


@needs_bash
def test_components_complete_for_logs_and_exec(capsys, script):
    offered = complete(capsys, script, "copr-harness exec -it ")
    assert {"backend", "frontend", "database", "builder-1"} <= set(offered)
    assert complete(capsys, script, "copr-harness logs fr") == ["frontend"]


@needs_bash
def test_run_ids_complete_from_the_runs_on_this_host(capsys, script):
    assert complete(capsys, script, "copr-harness status --run-id ") == ["ch-aaa", "ch-bbb"]
    assert complete(capsys, script, "copr-harness down --run-id ch-b") == ["ch-bbb"]


@needs_bash
def test_the_script_is_valid_bash_and_zsh_gets_bashcompinit(capsys):
    assert cli.main(["completion", "bash"]) == 0
    checked = subprocess.run(["bash", "-n"], input=capsys.readouterr().out, text=True,
                             capture_output=True, timeout=30)
    assert checked.returncode == 0, checked.stderr
    assert cli.main(["completion", "zsh"]) == 0
    assert capsys.readouterr().out.startswith("autoload -U +X bashcompinit && bashcompinit\n")


def test_an_unknown_shell_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(["completion", "fish"])
    assert exited.value.code == 2
    assert "invalid choice: 'fish'" in capsys.readouterr().err
