"""The load test's plan and consistency checks, on hand-made disk listings and logs."""

from __future__ import annotations

import copy

from harness.bench import load
from harness.stack import memory


def builds() -> list[load.Build]:
    todo = load.plan(4, 2, "t", ["alice", "bob"])
    for number, build in enumerate(todo):
        build.build_id, build.state = number + 1, "succeeded"
        build.submitted_on, build.ended_on = 100, 110 + 10 * number
    return todo


def test_plan_spreads_builds_over_projects_and_users():
    todo = load.plan(5, 2, "t", ["alice", "bob"])
    assert [(b.owner, b.project, b.package) for b in todo] == [
        ("alice", "load-t-0", "load000"), ("bob", "load-t-1", "load001"),
        ("alice", "load-t-0", "load002"), ("bob", "load-t-1", "load003"),
        ("alice", "load-t-0", "load004"),
    ]


def result_dir(build: load.Build) -> dict:
    name = build.package
    return {"success": True, "rpms": [f"{name}-1.0-1.fc44.noarch.rpm", f"{name}-1.0-1.fc44.src.rpm"],
            "results": {"packages": [
                {"name": name, "epoch": None, "version": "1.0", "release": "1.fc44", "arch": arch}
                for arch in ("noarch", "src")]}}


def good_disk(todo: list[load.Build]) -> dict:
    disk = {}
    for build in todo:
        entry = disk.setdefault(f"{build.owner}/{build.project}", {
            "srpm_dirs": [], "chroots": {load.CHROOT: {"dirs": {}, "rpms": [], "repodata": []}}})
        entry["srpm_dirs"].append(f"{build.build_id:08d}")
        chroot = entry["chroots"][load.CHROOT]
        name = f"{build.build_id:08d}-{build.package}"
        chroot["dirs"][name] = result_dir(build)
        chroot["rpms"] += [f"{name}/{rpm}" for rpm in result_dir(build)["rpms"]]
    for entry in disk.values():
        chroot = entry["chroots"][load.CHROOT]
        chroot["rpms"].sort()
        chroot["repodata"] = list(chroot["rpms"])
    return disk


def test_a_consistent_tree_has_no_problems():
    todo = builds()
    assert load.check_disk(todo, good_disk(todo)) == []


def test_a_missing_and_a_duplicate_result_dir_are_named():
    todo = builds()
    disk = good_disk(todo)
    dirs = disk["alice/load-t-0"]["chroots"][load.CHROOT]["dirs"]
    dirs["00000099-load000"] = dirs.pop("00000001-load000")
    disk["bob/load-t-1"]["srpm_dirs"].append("00000002")
    problems = load.check_disk(todo, disk)
    assert len(problems) == 2
    assert "alice/load-t-0/fedora-44-x86_64 holds result dirs ['00000003-load002', " \
           "'00000099-load000']" in problems[0]
    assert problems[1].startswith("bob/load-t-1/srpm-builds holds ['00000002', '00000004', '00000002']")


def test_repodata_that_misses_an_rpm_on_disk_is_named():
    todo = builds()
    disk = good_disk(todo)
    chroot = disk["bob/load-t-1"]["chroots"][load.CHROOT]
    dropped = chroot["repodata"].pop(0)
    problems = load.check_disk(todo, disk)
    assert problems == [f"bob/load-t-1/fedora-44-x86_64 repodata differs from the RPMs on disk: "
                        f"not listed ['{dropped}'], listed but absent []"]
    chroot["repodata"] = None
    assert load.check_disk(todo, disk) == ["bob/load-t-1/fedora-44-x86_64 has no readable repodata"]


def test_results_json_must_name_exactly_the_rpms_of_its_dir():
    todo = builds()
    disk = good_disk(todo)
    found = disk["alice/load-t-0"]["chroots"][load.CHROOT]["dirs"]["00000003-load002"]
    found["results"] = copy.deepcopy(found["results"])
    found["results"]["packages"].pop()
    problems = load.check_disk(todo, disk)
    assert len(problems) == 1 and "00000003-load002/results.json names" in problems[0]
    found["results"] = None
    assert load.check_disk(todo, disk) == [
        "alice/load-t-0/fedora-44-x86_64/00000003-load002/results.json is missing or has no package list"]
    found["success"] = False
    assert load.check_disk(todo, disk) == [
        "alice/load-t-0/fedora-44-x86_64/00000003-load002 has no success file"]


def log_of(tasks: list[str]) -> str:
    """The build dispatcher's lines as copr-backend's log drain writes them: each task handed to
    a worker (copr_common/worker_manager.py), a poll between."""
    from tests.unit.harness.upgrade.test_backend_log import upstream
    return "".join(upstream("Starting worker %s, task.priority=%s", f"rpm_build_worker:{t}", 1) + "\n"
                   + upstream("getting %ss from frontend", "build") + "\n" for t in tasks)


def test_each_task_must_have_started_exactly_once():
    todo = builds()[:2]
    tasks = ["1", "1-fedora-44-x86_64", "2", "2-fedora-44-x86_64"]
    assert load.check_backend_log(todo, log_of(tasks)) == []
    assert load.check_backend_log(todo, log_of(tasks + ["2-fedora-44-x86_64"]) ) == [
        "the backend started task 2-fedora-44-x86_64 2 times"]
    assert load.check_backend_log(todo, log_of(tasks[1:])) == ["the backend started task 1 0 times"]


def test_result_figures_and_report():
    todo = builds()
    peaks = memory.Peaks()
    peaks.add({"r-backend": 2**20, "r-frontend": 3 * 2**20})
    result = load.LoadResult("r", todo, seconds=40.0, peaks=peaks)
    assert result.throughput == 6.0
    assert result.latency == {"min": 10, "median": 25, "p90": 37, "max": 40}
    text = "\n".join(result.lines())
    assert "throughput:  6.0 builds/min" in text
    assert "peak memory: 4.0 MiB" in text and "backend 1.0, frontend 3.0" in text
    assert "consistency: all checks passed" in text
    result.problems = ["build 3 ended failed"]
    assert result.lines()[-1] == "PROBLEM: build 3 ended failed"
    assert result.as_dict()["peak_memory_by_component_mib"] == {"backend": 1.0, "frontend": 3.0}
