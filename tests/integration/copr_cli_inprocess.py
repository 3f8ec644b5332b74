"""The real copr-cli run inside the test process: its `main()` with the arguments a user types.

Starting a Python for each of the ~60 commands of test_copr_cli_commands cost over a second
apiece on a busy machine; calling the same entry point in the process gives the same exit code
(copr-cli leaves through `sys.exit`), stdout and stderr without that cost.
"""

from __future__ import annotations

import io
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout

from copr_cli.main import main


def run(config: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """`copr-cli --config CONFIG ARGS...`; `stdin` answers its prompts."""
    argv = ["--config", config, *args]
    out, err = io.StringIO(), io.StringIO()
    code = 0
    typed, sys.stdin = sys.stdin, io.StringIO(stdin)
    try:
        with redirect_stdout(out), redirect_stderr(err):
            main(argv)
    except SystemExit as leaving:
        # As the interpreter: None is 0, a number is the code, a message is 1.
        code = leaving.code if isinstance(leaving.code, int) else int(leaving.code is not None)
    finally:
        sys.stdin = typed
    return subprocess.CompletedProcess(["copr-cli", *argv], code, out.getvalue(), err.getvalue())
