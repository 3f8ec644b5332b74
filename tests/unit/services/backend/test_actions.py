"""The action worker: each action type on a results tree, and the results reported (all faked)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest


from copr_backend import actions
from copr_backend import layout as layout_mod
from copr_backend import frontend as frontend_mod

from .test_worker import FakeCreaterepo, FakeSignClient  # noqa: E402

from copr_backend import signing


class Calls(FakeCreaterepo):
    def __init__(self) -> None:
        super().__init__()
        self.excludes: list[list[str] | None] = []

    def run(self, chroot_dir: Path, excludes: list[str] | None = None, devel: bool = False,
            baseurl: str = "") -> None:
        super().run(chroot_dir, excludes, devel, baseurl)
        if not devel:
            self.excludes.append(excludes)


@pytest.fixture
def env(tmp_path: Path):
    sign = FakeSignClient()
    tree = layout_mod.Layout(tmp_path / "results")
    signer = signing.Signer("http://keygen:5003", "fedorahosted.org", "/usr/bin/sign", run=sign.run,
                            post=sign.post, sleep=lambda _: None)
    createrepo = Calls()
    return actions.ActionHandler(tree, signer, createrepo), tree, sign, createrepo


def action(action_type: int, data: Any, **extra: Any) -> dict[str, Any]:
    return {"id": 42, "action_type": action_type, "object_type": extra.pop("object_type", "copr"),
            "object_id": 1, "old_value": None, "new_value": None, "priority": 0,
            "data": json.dumps(data), "created_on": 1, "copr_id": 1, **extra}


def put(path: Path, content: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def test_createrepo(env) -> None:
    handler, tree, _, createrepo = env
    handler.handle(action(3, {"ownername": "alice", "projectname": "hello", "project_dirnames": ["hello"],
                              "chroots": ["fedora-44-x86_64", "fedora-43-x86_64"], "appstream": False}))
    assert createrepo.dirs == [tree.destdir / "alice/hello/fedora-44-x86_64",
                               tree.destdir / "alice/hello/fedora-43-x86_64"]


def test_createrepo_of_the_devel_repository(tmp_path: Path) -> None:
    createrepo = Calls()
    tree = layout_mod.Layout(tmp_path / "results", "http://127.0.0.1:1/results")
    handler = actions.ActionHandler(tree, None, createrepo)
    data = {"ownername": "alice", "projectname": "hello", "project_dirnames": ["hello"],
            "chroots": ["fedora-44-x86_64"], "appstream": False}
    handler.handle(action(3, dict(data, devel=True)))
    chroot_dir = tree.destdir / "alice/hello/fedora-44-x86_64"
    assert createrepo.dirs == []
    assert createrepo.devel_runs == [(chroot_dir, "http://127.0.0.1:1/results/alice/hello/fedora-44-x86_64/")]
    handler.handle(action(3, dict(data, devel=False)))  # regenerate-repos: the public repository
    assert createrepo.dirs == [chroot_dir]


def test_delete_build_updates_the_devel_repository_too(env) -> None:
    handler, tree, _, createrepo = env
    project = tree.destdir / "alice/hello"
    put(project / "fedora-44-x86_64/00000007-hello/hello.rpm")
    (project / "fedora-44-x86_64/devel/repodata").mkdir(parents=True)
    handler.handle(action(0, {
        "ownername": "alice", "projectname": "hello", "project_dirname": "hello", "devel": True,
        "chroot_builddirs": {"fedora-44-x86_64": ["00000007-hello"]}}, object_type="build"))
    assert createrepo.dirs == [project / "fedora-44-x86_64"]
    assert [run[0] for run in createrepo.devel_runs] == [project / "fedora-44-x86_64"]
    assert not (project / "fedora-44-x86_64/00000007-hello").exists()


def test_gen_gpg_key(env) -> None:
    handler, tree, sign, _ = env
    handler.handle(action(5, {"ownername": "@copr", "projectname": "tools"}))
    assert sign.gen_key_bodies == [{"name_real": "@copr_tools", "name_email": "@copr#tools@copr.fedorahosted.org"}]
    # As upstream: the action makes the key only; the project's first RPM build publishes it.
    assert not (tree.destdir / "@copr/tools/pubkey.gpg").exists()


def test_gen_gpg_key_fails_when_keygen_stays_down(env) -> None:
    handler, _, sign, _ = env

    def down(*args: Any, **kwargs: Any) -> Any:
        raise signing.requests.ConnectionError("refused")

    handler.signer._post = down
    with pytest.raises(signing.SignError, match="after 5 attempts"):
        handler.handle(action(5, {"ownername": "alice", "projectname": "hello"}))


def test_delete_copr(env) -> None:
    handler, tree, _, _ = env
    put(tree.destdir / "alice/hello/fedora-44-x86_64/00000001-a/a.rpm")
    put(tree.destdir / "alice/other/pubkey.gpg")
    handler.handle(action(0, {"ownername": "alice", "project_dirnames": ["hello"], "storage": 0}))
    assert not (tree.destdir / "alice/hello").exists()
    assert (tree.destdir / "alice/other/pubkey.gpg").exists()


def test_delete_build(env) -> None:
    handler, tree, _, createrepo = env
    project = tree.destdir / "alice/hello"
    put(project / "srpm-builds/00000007/hello.src.rpm")
    put(project / "fedora-44-x86_64/00000007-hello/hello.rpm")
    put(project / "fedora-44-x86_64/00000008-hello/hello.rpm")
    handler.handle(action(0, {
        "ownername": "alice", "projectname": "hello", "project_dirname": "hello", "appstream": False,
        "devel": False, "storage": 0,
        "chroot_builddirs": {"srpm-builds": ["00000007"], "fedora-44-x86_64": ["00000007-hello"],
                             "fedora-43-x86_64": ["00000007-hello"]},
    }, object_type="build"))
    # As upstream: srpm-builds/<id> stays (pruned by age, not by the delete action).
    assert (project / "srpm-builds/00000007/hello.src.rpm").exists()
    assert not (project / "fedora-44-x86_64/00000007-hello").exists()
    assert (project / "fedora-44-x86_64/00000008-hello/hello.rpm").exists()
    assert createrepo.dirs == [project / "fedora-44-x86_64"]  # not srpm-builds, not a missing chroot
    assert createrepo.excludes == [["00000007-hello"]]


def test_delete_build_refuses_paths_out_of_the_tree(env) -> None:
    handler, tree, _, _ = env
    put(tree.destdir / "alice/hello/fedora-44-x86_64/00000007-hello/a.rpm")
    with pytest.raises(layout_mod.LayoutError):
        handler.handle(action(0, {"ownername": "alice", "project_dirname": "hello",
                                  "chroot_builddirs": {"fedora-44-x86_64": ["../../../other"]}},
                              object_type="build"))


def test_fork(env) -> None:
    handler, tree, sign, createrepo = env
    source = tree.destdir / "alice/hello"
    put(source / "srpm-builds/00000007/hello.src.rpm", b"srpm")
    put(source / "fedora-44-x86_64/00000007-hello/hello.noarch.rpm", b"rpm")
    put(source / "fedora-44-x86_64/00000007-hello/builder-live.log.gz", b"log")
    handler.handle(action(7, {"user": "bob", "copr": "hello-fork", "storage": 0, "builds_map": {
        "srpm-builds": {"00000007": "00000009"},
        "fedora-44-x86_64": {"00000007-hello": "00000009-hello"},
    }}, old_value="alice/hello", new_value="bob/hello-fork"))
    target = tree.destdir / "bob/hello-fork"
    assert (target / "fedora-44-x86_64/00000009-hello/hello.noarch.rpm").read_bytes() == b"rpm signed"
    assert (target / "srpm-builds/00000009/hello.src.rpm").read_bytes() == b"srpm signed"
    assert (target / "fedora-44-x86_64/00000009-hello/builder-live.log.gz").read_bytes() == b"log"
    assert (source / "fedora-44-x86_64/00000007-hello/hello.noarch.rpm").read_bytes() == b"rpm"
    assert (target / "pubkey.gpg").exists()
    assert sign.gen_key_bodies[0]["name_email"] == "bob#hello-fork@copr.fedorahosted.org"
    signed_with = {c[c.index("-u") + 1] for c in sign.calls if "-r" in c}
    assert signed_with == {"bob#hello-fork@copr.fedorahosted.org"}
    assert createrepo.dirs == [target / "fedora-44-x86_64"]


def test_unsupported_action(env) -> None:
    handler, _, _, _ = env
    with pytest.raises(actions.ActionFailed, match="not supported"):
        handler.handle(action(6, {}))


# -- the worker loop --------------------------------------------------------------------------


class FakeFrontend:
    base_url = "http://fe"

    def __init__(self, pending: list[dict[str, Any]], too_old: bool = False) -> None:
        self.pending = pending
        self.too_old = too_old
        self.posts: list[tuple[str, Any]] = []

    def get(self, path: str, *, try_indefinitely: bool = True) -> Any:
        assert path == "pending-action" and not try_indefinitely
        if self.too_old:
            raise frontend_mod.FrontendTooOld(8, 9)
        return self.pending.pop(0) if self.pending else None

    def post(self, path: str, data: Any, *, try_indefinitely: bool = True) -> Any:
        self.posts.append((path, data))
        return {}


def test_worker_reports_success_and_failure(env) -> None:
    handler, tree, _, _ = env
    fe = FakeFrontend([action(3, {"ownername": "alice", "projectname": "p", "chroots": ["fedora-44-x86_64"]}),
                       dict(action(0, {"ownername": "alice"}, object_type="nonsense"), id=43)])
    worker = actions.ActionWorker(fe, handler)
    assert worker.cycle() and worker.cycle() and not worker.cycle()
    assert fe.posts[0] == ("update", {"actions": [{"id": 42, "result": 1}]})
    path, data = fe.posts[1]
    assert data["actions"][0]["id"] == 43 and data["actions"][0]["result"] == 2
    assert "nonsense" in data["actions"][0]["message"]


def test_worker_waits_for_a_new_enough_frontend(env) -> None:
    handler, _, _, _ = env
    fe = FakeFrontend([action(3, {"ownername": "alice", "projectname": "p", "chroots": []})], too_old=True)
    worker = actions.ActionWorker(fe, handler)
    assert not worker.cycle()
    assert fe.posts == [] and len(fe.pending) == 1
