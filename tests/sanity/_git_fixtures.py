"""Git repositories served inside the stack, for scm builds.

The stack's dist-git serves every bare repository under its git root over HTTP (smart and dumb
protocol), so a fixture repository is made there, under the `fixtures/` owner that no Copr user
has: builders clone it at http://distgit:5001/git/fixtures/<dir>/<name>.git.
"""

from __future__ import annotations

import base64
import shlex

GIT_ROOT = "/var/lib/dist-git/git"
INTERNAL_URL = "http://distgit:5001/git"


def serve_repo(host, path: str, commits: list[tuple[dict[str, str], str | None]]) -> str:
    """Make the bare repository `<GIT_ROOT>/<path>.git` in the dist-git container from `commits`
    (files written, then an optional tag); return its clone URL as builders reach it."""
    work = f"/tmp/fixture-{path.replace('/', '-')}"
    git = f"git -C {work} -c user.name=fixture -c user.email=fixture@example.org"
    steps = [f"rm -rf {work} {GIT_ROOT}/{path}.git", f"git init --quiet --initial-branch=main {work}"]
    for files, tag in commits:
        for name, text in files.items():
            encoded = base64.b64encode(text.encode()).decode()
            steps.append(f"mkdir -p $(dirname {work}/{name})")
            steps.append(f"echo {encoded} | base64 -d > {shlex.quote(f'{work}/{name}')}")
        steps += [f"{git} add -A", f"{git} commit --quiet -m fixture"]
        if tag:
            steps.append(f"{git} tag {tag}")
    steps += [f"mkdir -p $(dirname {GIT_ROOT}/{path})",
              f"git clone --quiet --bare {work} {GIT_ROOT}/{path}.git",
              f"git -C {GIT_ROOT}/{path}.git update-server-info", f"rm -rf {work}"]
    result = host.run("set -e; " + "; ".join(steps))
    assert result.rc == 0, f"making the fixture repository {path} failed: {result.stderr}"
    return f"{INTERNAL_URL}/{path}.git"
