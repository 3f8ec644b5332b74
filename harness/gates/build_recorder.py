"""Every build a suite made is recorded, whatever deletes it: before python-copr deletes a
project, a package or builds, the times of the builds about to go are appended to the file named
by COPR_HARNESS_BUILD_LOG (and a failed build's logs are saved beside it), so the report's build
charts include them.

python-copr is what deletes in a test and in copr-cli (a process of its own), so the recorder
wraps python-copr's delete calls in both: `-p harness.gates.build_recorder` loads it into the
pytest processes, and `subprocess_env` puts a `sitecustomize` on PYTHONPATH that loads it into
every Python process the tests start (copr-cli). Without the variable it does nothing.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from copr.v3.proxies.build import BuildProxy
from copr.v3.proxies.build_chroot import BuildChrootProxy
from copr.v3.proxies.package import PackageProxy
from copr.v3.proxies.project import ProjectProxy

VARIABLE = "COPR_HARNESS_BUILD_LOG"
SITE = Path(__file__).with_name("site")  # holds the sitecustomize that calls install()


def subprocess_env(env: dict[str, str], log: Path) -> dict[str, str]:
    """`env` for a suite: recording into `log`, in every Python process it starts."""
    python_path = [str(SITE), *filter(None, [env.get("PYTHONPATH")])]
    return env | {VARIABLE: str(log.resolve()), "PYTHONPATH": os.pathsep.join(python_path)}


FAILED = ("failed", "canceled")


ENDED = ("succeeded", "failed")


def record(build: Any, project: str) -> dict:
    """What the reports keep of a python-copr build (a Munch)."""
    return {"id": build.id, "project": project, "state": build.state, "submitted": build.submitted_on,
            "started": build.started_on, "ended": build.ended_on,
            "package": (getattr(build, "source_package", None) or {}).get("name")}


def chroot_states(config: dict, build_id: int) -> dict[str, str]:
    """{chroot: state} of one build (what its messages are checked against: harness.messages)."""
    return {c.name: c.state for c in BuildChrootProxy(config).get_list(build_id)}


def _append(path: str, records: list[dict]) -> None:
    # One O_APPEND write per call: parallel processes' lines do not interleave.
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(descriptor, "".join(json.dumps(r) + "\n" for r in records).encode())
    finally:
        os.close(descriptor)


def _keep(config: dict, builds: Iterable[Any]) -> None:
    """Record these builds (and save the logs of the failed ones) before they go."""
    path = os.environ.get(VARIABLE)
    if not path:
        return
    records = [record(b, f"{b.ownername}/{b.projectname}") for b in builds]
    for ended in (r for r in records if r["state"] in ENDED):
        # Unread, the message check owes the build nothing; the record still counts.
        with contextlib.suppress(Exception):
            ended["chroot_states"] = chroot_states(config, ended["id"])
    _append(path, records)
    failed = [r for r in records if r["state"] == "failed"]
    if failed:
        from harness.reports import build_logs  # only now: copr-cli starts with this module loaded

        for build in failed:
            build_logs.save(config, build["id"], Path(path).parent)


def _recording(original: Callable, builds_of: Callable[..., Iterable[Any]]) -> Callable:
    @functools.wraps(original)
    def delete(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            _keep(self.config, builds_of(self, *args, **kwargs))
        except Exception:  # noqa: BLE001 - the report may miss them; the test must not fail
            pass
        return original(self, *args, **kwargs)

    delete.recording = True  # type: ignore[attr-defined]
    return delete


def _project_builds(self: Any, ownername: str, projectname: str, **_: Any) -> list[Any]:
    return list(BuildProxy(self.config).get_list(ownername, projectname))


def _package_builds(self: Any, ownername: str, projectname: str, packagename: str, **_: Any
                    ) -> list[Any]:
    return list(BuildProxy(self.config).get_list(ownername, projectname, packagename=packagename))


def _build(self: Any, build_id: int) -> list[Any]:
    return [BuildProxy(self.config).get(build_id)]


def _builds(self: Any, build_ids: Iterable[int]) -> list[Any]:
    return [BuildProxy(self.config).get(i) for i in build_ids]


WRAPPED = [(ProjectProxy, "delete", _project_builds), (PackageProxy, "delete", _package_builds),
           (BuildProxy, "delete", _build), (BuildProxy, "delete_list", _builds)]


def install() -> None:
    """Wrap python-copr's delete calls once per process."""
    for proxy, name, builds_of in WRAPPED:
        method = getattr(proxy, name)
        if not getattr(method, "recording", False):
            setattr(proxy, name, _recording(method, builds_of))


def pytest_configure(config: Any) -> None:
    """The pytest processes (the xdist workers load the plugin too)."""
    install()
