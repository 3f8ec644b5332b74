"""`copr-harness completion bash|zsh`: a completion script made from the parser itself, so it
never lags behind the commands. Run ids come from `copr-harness list --ids` as you type."""

from __future__ import annotations

import argparse
import shlex

from harness.errors import EXIT_OK
from harness.model.components import all_components

SHELLS = ["bash", "zsh"]
# Options whose value is a run id, a component or a file: completed as such.
RUN_ID_OPTIONS = {"--run-id"}
FILE_OPTIONS = {"--scenario", "--target", "-o", "--output"}
# Positional arguments completed with component names.
COMPONENT_COMMANDS = {"logs", "exec", "fault"}


def cmd_completion(args: argparse.Namespace) -> int:
    """Print a shell completion script: eval "$(copr-harness completion bash)" in ~/.bashrc."""
    from harness.cli.grammar import parser  # the parser holds this command: import when run

    script = bash_script(parser())
    if args.shell == "zsh":
        script = "autoload -U +X bashcompinit && bashcompinit\n" + script
    print(script, end="")
    return EXIT_OK


def _commands(top: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in top._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def _words(parser: argparse.ArgumentParser) -> tuple[list[str], dict[str, list[str]]]:
    """A command's option strings, and the choices of options and positionals that have them."""
    flags, choices = [], {}
    for action in parser._actions:
        if action.help == argparse.SUPPRESS and action.option_strings:
            continue  # hidden older spellings are accepted, not offered
        flags += action.option_strings
        if action.choices:
            for key in action.option_strings or ["@positional"]:
                choices[key] = [str(c) for c in action.choices]
    return sorted(flags), choices


def bash_script(top: argparse.ArgumentParser) -> str:
    """The bash completion function for `copr-harness` (works in zsh through bashcompinit)."""
    commands = _commands(top)
    components = sorted({instance.short for c in all_components().values() if not c.library
                         for instance in c.instances("x")} | {n for n, c in all_components().items()
                                                             if not c.library})
    cases = []
    for name, sub in commands.items():
        flags, choices = _words(sub)
        lines = [f"        {shlex.quote(name)})", f"            flags={shlex.quote(' '.join(flags))}"]
        for option, values in choices.items():
            if option != "@positional":
                lines.append(f"            [[ $prev == {option} ]] && words_={shlex.quote(' '.join(values))}")
        positional = (components if name in COMPONENT_COMMANDS else []) + choices.get("@positional", [])
        if positional:
            lines.append(f"            positional={shlex.quote(' '.join(positional))}")
        if name in {"plan", "rehearse", "up", "kube", "sanity", "post-release"}:
            lines.append("            files=1")
        lines.append("            ;;")
        cases.append("\n".join(lines))
    top_flags = " ".join(sorted(o for a in top._actions for o in a.option_strings))
    return _TEMPLATE.format(
        commands=shlex.quote(" ".join(commands)), top_flags=shlex.quote(top_flags),
        cases="\n".join(cases), run_id_options="|".join(sorted(RUN_ID_OPTIONS)),
        file_options="|".join(sorted(FILE_OPTIONS)))


_TEMPLATE = """\
# bash completion for copr-harness (made by: copr-harness completion bash)
_copr_harness() {{
    local cur=${{COMP_WORDS[COMP_CWORD]}} prev=${{COMP_WORDS[COMP_CWORD-1]}}
    local command="" i
    for ((i = 1; i < COMP_CWORD; i++)); do
        [[ ${{COMP_WORDS[i]}} != -* ]] && {{ command=${{COMP_WORDS[i]}}; break; }}
    done
    if [[ -z $command ]]; then
        COMPREPLY=($(compgen -W {commands}' '{top_flags} -- "$cur"))
        return
    fi
    case $prev in
        {run_id_options})
            COMPREPLY=($(compgen -W "$(${{COMP_WORDS[0]}} list --ids 2>/dev/null)" -- "$cur"))
            return ;;
        {file_options})
            COMPREPLY=($(compgen -f -- "$cur"))
            return ;;
    esac
    local flags="" words_="" positional="" files=""
    case $command in
{cases}
    esac
    if [[ -n $words_ ]]; then
        COMPREPLY=($(compgen -W "$words_" -- "$cur"))
    elif [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$flags" -- "$cur"))
    elif [[ -n $positional ]]; then
        COMPREPLY=($(compgen -W "$positional" -- "$cur"))
    elif [[ -n $files ]]; then
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}}
complete -F _copr_harness copr-harness
"""
