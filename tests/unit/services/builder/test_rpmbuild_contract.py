"""copr-rpmbuild (containers/builder/src/copr_rpmbuild): upstream's command-line contract.

The task's source and chroot rules, the blocking lock, --drop-resultdir, --dump-configs, and the
order of `success` and results.json, as upstream's rpmbuild/main.py has them.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

from copr_rpmbuild import main as cli
from copr_rpmbuild.build import Build
from copr_rpmbuild.config import Config
from copr_rpmbuild.configs import archive_configs, render_child_cfg
from copr_rpmbuild.errors import TaskError
from copr_rpmbuild.process import LiveLog
from copr_rpmbuild.task import Request, get_task

RPM_TASK = {
    "task_id": "7-fedora-44-x86_64", "build_id": 7, "chroot": "fedora-44-x86_64",
    "project_owner": "alice", "project_name": "hello", "git_repo": "http://distgit/git/alice/hello/hello",
    "git_hash": "abc", "package_name": "hello", "timeout": 600, "enable_net": False,
    "buildroot_pkgs": ["make", "gcc"],
    "repos": [{"id": "copr_base", "name": "Copr repository", "baseurl": "http://backend/results/alice/hello/"}],
}


@pytest.fixture
def config(tmp_path: Path) -> Config:
    root = tmp_path / "var"
    return Config(frontend_url="http://frontend:5000", resultdir=root / "results", workspace=root / "workspace",
                  logfile=root / "main.log", pidfile=root / "pid", logger_pidfile=root / "logger_pid",
                  lockfile=root / "lockfile")


@pytest.fixture
def fetched(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The URLs get_task fetched (each answers RPM_TASK)."""
    urls: list[str] = []

    def fake_fetch(url: str, timeout: float) -> dict:
        urls.append(url)
        return dict(RPM_TASK)

    monkeypatch.setattr("copr_rpmbuild.task.fetch_task", fake_fetch)
    return urls


@pytest.mark.parametrize(("request_", "message"), [
    (Request("rpm", task_url="http://x/t"), "Missing --chroot parameter"),
    (Request("dump-configs", copr="alice/hello"), "Missing --chroot parameter"),
    (Request("srpm", chroot="fedora-44-x86_64", build_id="7"), "--chroot option is not supported with --srpm"),
    (Request("srpm", copr="alice/hello"), "--copr option is not supported with --srpm"),
    (Request("rpm", chroot="../etc/fedora-44-x86_64", build_id="7"), "not a file path"),
])
def test_chroot_rules(request_: Request, message: str, config: Config, fetched: list[str]) -> None:
    with pytest.raises(TaskError, match=message):
        get_task(request_, config)
    assert fetched == []  # refused before anything is fetched


def test_build_id_and_copr_urls(config: Config, fetched: list[str]) -> None:
    record = get_task(Request("rpm", chroot="epel-9-aarch64", build_id="7"), config)
    assert record["chroot"] == "epel-9-aarch64"  # -r overrides the record's chroot
    get_task(Request("srpm", build_id="8"), config)
    record = get_task(Request("dump-configs", chroot="fedora-44-x86_64", copr="@copr/tools"), config)
    assert fetched == [
        "http://frontend:5000/backend/get-build-task/7-epel-9-aarch64",
        "http://frontend:5000/backend/get-srpm-build-task/8",
        "http://frontend:5000/api_3/project-chroot/build-config?ownername=%40copr&projectname=tools"
        "&chrootname=fedora-44-x86_64",
    ]
    assert record["task_id"] == "group_copr-tools-fedora-44-x86_64"


def test_task_file_wins_over_task_url(tmp_path: Path, config: Config, fetched: list[str]) -> None:
    path = tmp_path / "task.json"
    path.write_text(json.dumps(dict(RPM_TASK, package_name="from-file")))
    record = get_task(Request("rpm", chroot="fedora-44-x86_64", task_file=str(path), task_url="http://x/t"), config)
    assert record["package_name"] == "from-file" and fetched == []


def test_options() -> None:
    args = cli.parser().parse_args(["-vv", "--dump-configs", "--copr", "@copr/tools", "-r", "fedora-44-x86_64"])
    assert (args.verbose, args.kind, args.copr, args.drop_resultdir) == (2, "dump-configs", "@copr/tools", False)
    with pytest.raises(SystemExit):
        cli.parser().parse_args(["--srpm", "--dump-configs", "--build-id", "7"])


def run_cli(config: Config, tmp_path: Path, *options: str, task: object = None) -> int:
    path = tmp_path / "task.json"
    path.write_text(json.dumps(task))
    return cli.run_task(cli.parser().parse_args(["--task-file", str(path), *options]), config, None)


def test_resultdir_is_emptied_only_when_asked(config: Config, tmp_path: Path) -> None:
    config.resultdir.mkdir(parents=True)
    (config.resultdir / "old.rpm").write_text("from an earlier task")
    assert run_cli(config, tmp_path, "-r", "fedora-44-x86_64", task=None) == 1  # null task: fails at once
    assert (config.resultdir / "old.rpm").exists()
    assert "No valid build_config" in config.logfile.read_text()
    assert run_cli(config, tmp_path, "-r", "fedora-44-x86_64", "--drop-resultdir", task=None) == 1
    assert list(config.resultdir.iterdir()) == []


def test_rpm_without_chroot_fails_in_the_log(config: Config, tmp_path: Path) -> None:
    assert run_cli(config, tmp_path, "--drop-resultdir", task=RPM_TASK) == 1
    assert "Copr build error: Missing --chroot parameter" in config.logfile.read_text()
    assert list(config.resultdir.iterdir()) == []  # no success, and no builder-live.log copy


def test_dump_configs(config: Config, tmp_path: Path) -> None:
    assert run_cli(config, tmp_path, "--dump-configs", "-r", "epel-9-aarch64", task=RPM_TASK) == 0
    child = config.resultdir / "configs" / "child.cfg"
    assert f"Wrote: {child}" in config.logfile.read_text()
    assert sorted(p.name for p in config.resultdir.iterdir()) == ["configs"]  # no success: nothing was built
    text = child.read_text()
    for line in ("config_opts['root'] = 'epel-9-aarch64'", "config_opts['target_arch'] = 'aarch64'",
                 "config_opts['rpmbuild_networking'] = False", "config_opts['chroot_additional_packages'] = 'make gcc'",
                 "config_opts['macros']['%dist'] = '.el9'", "config_opts['macros']['%buildtag'] = '.copr7'",
                 "config_opts['macros']['%copr_username'] = 'alice'", "baseurl=http://backend/results/alice/hello/"):
        assert line in text.splitlines()
    compile(text, "child.cfg", "exec")  # mock reads it as Python


def test_configs_are_archived(config: Config) -> None:
    (config.resultdir / "configs").mkdir(parents=True)
    (config.resultdir / "configs" / "child.cfg").write_text(render_child_cfg(RPM_TASK, config))
    archive_configs(config.resultdir)
    assert [p.name for p in config.resultdir.iterdir()] == ["configs.tar.gz"]
    with tarfile.open(config.resultdir / "configs.tar.gz") as archive:
        assert archive.getnames() == ["configs/child.cfg"]


def test_success_is_written_before_results_json(config: Config, tmp_path: Path) -> None:
    config.resultdir.mkdir(parents=True)
    log = LiveLog(tmp_path / "main.log", echo=None)
    build = Build(config, log, tmp_path)
    seen: list[bool] = []
    original = build.write_json

    def write_json(name: str, data: dict) -> None:
        seen.append((config.resultdir / "success").read_text() == "done")
        original(name, data)

    build.write_json = write_json  # type: ignore[method-assign]
    assert build.succeed({"packages": []}) == "succeeded"
    log.close()
    assert seen == [True]
    assert (config.resultdir / "results.json").read_text() == json.dumps({"packages": []}, indent=4)


def test_live_log_copy(tmp_path: Path) -> None:
    log = LiveLog(tmp_path / "main.log", echo=None)
    log.write("before")
    with log.copy_to(tmp_path / "build.log"):
        log.write("during")
    log.write("after")
    log.close()
    assert (tmp_path / "build.log").read_text() == "during\n"
    assert (tmp_path / "main.log").read_text() == "before\nduring\nafter\n"


HOLD_LOCK = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.lockf(fd, fcntl.LOCK_EX, 1)
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


def test_lock_waits_for_the_running_task(config: Config, capsys: pytest.CaptureFixture[str]) -> None:
    config.lockfile.parent.mkdir(parents=True)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(config.lockfile), "1.5"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        start = time.monotonic()
        fd = cli._lock(config)  # blocks until the holder ends, instead of failing at once
        waited = time.monotonic() - start
    finally:
        holder.wait(timeout=10)
    cli.os.close(fd)
    assert waited > 0.5, f"the lock was taken after {waited:.2f} s while another task held it"
    assert "another copr-rpmbuild is running" in capsys.readouterr().err

