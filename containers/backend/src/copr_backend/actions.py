"""The action worker: takes the frontend's waiting actions one at a time and reports each result."""

from __future__ import annotations

import enum
import json
import logging
import shutil
import threading
from pathlib import Path
from typing import Any

from .frontend import ChangeLog, FrontendClient, FrontendError, FrontendTooOld
from .layout import SRPM_CHROOT, Layout, safe_name
from .repo import DEVEL_DIR, Createrepo
from .signing import Signer

log = logging.getLogger("copr-backend.action")


class ActionType(enum.IntEnum):
    """ActionTypeEnum values on the wire."""

    delete = 0
    rename = 1
    legal_flag = 2
    createrepo = 3
    update_comps = 4
    gen_gpg_key = 5
    rawhide_to_release = 6
    fork = 7
    update_module_md = 8
    build_module = 9
    cancel_build = 10
    remove_dirs = 11


class Result(enum.IntEnum):
    """BackendResultEnum: an action's outcome."""

    waiting = 0
    success = 1
    failure = 2


class ActionFailed(Exception):
    """The action could not be done; the message goes to the frontend."""


def action_data(action: dict[str, Any]) -> Any:
    """The action's `data` (a JSON string on the wire)."""
    raw = action.get("data")
    if raw in (None, ""):
        return {}
    if isinstance(raw, (dict, list)):
        return raw
    try:
        return json.loads(raw)
    except ValueError as error:
        raise ActionFailed(f"data is not JSON: {error}") from None


def describe(action: dict[str, Any]) -> str:
    """`action 7 (delete build)`, for log lines."""
    try:
        kind = ActionType(int(action.get("action_type"))).name
    except (TypeError, ValueError):
        kind = f"type {action.get('action_type')}"
    what = " ".join(part for part in (kind, action.get("object_type")) if part)
    return f"action {action.get('id')} ({what})"


class ActionHandler:
    """Does one action on the results tree and the keygen."""

    def __init__(self, layout: Layout, signer: Signer, createrepo: Createrepo) -> None:
        self.layout = layout
        self.signer = signer
        self.createrepo = createrepo

    def handle(self, action: dict[str, Any]) -> None:
        """Do the action; ActionFailed (or any exception) means failure."""
        try:
            kind = ActionType(int(action["action_type"]))
        except (KeyError, TypeError, ValueError):
            raise ActionFailed(f"unknown action type {action.get('action_type')!r}") from None
        data = action_data(action)
        if kind == ActionType.delete:
            handler = {
                "copr": self.delete_copr, "build": self.delete_build, "builds": self.delete_builds,
                "chroot": self.delete_chroot,
            }.get(action.get("object_type") or "")
            if handler is None:
                raise ActionFailed(f"cannot delete a {action.get('object_type')!r}")
            handler(data)
        elif kind == ActionType.createrepo:
            self.createrepo_action(data)
        elif kind == ActionType.gen_gpg_key:
            self.gen_gpg_key(data)
        elif kind == ActionType.fork:
            self.fork(action, data)
        elif kind == ActionType.remove_dirs:
            self.remove_dirs(data)
        elif kind == ActionType.legal_flag:
            pass  # nothing to do on the backend
        else:
            raise ActionFailed(f"{kind.name} actions are not supported by this backend")

    # -- the actions ------------------------------------------------------------------------------

    def createrepo_action(self, data: dict[str, Any]) -> None:
        owner = data["ownername"]
        dirnames = data.get("project_dirnames") or [data["projectname"]]
        # `devel`: only the devel repository of a project with auto-createrepo off (upstream
        # regenerates the public one with devel false).
        devel = bool(data.get("devel"))
        for dirname in dirnames:
            for chroot in data.get("chroots") or []:
                chroot_dir = self.layout.chroot_dir(owner, dirname, chroot)
                self.createrepo.run(chroot_dir, devel=devel, baseurl=self.layout.repo_baseurl(chroot_dir))

    def gen_gpg_key(self, data: dict[str, Any]) -> None:
        owner, project = data["ownername"], data["projectname"]
        created = self.signer.gen_key(owner, project)
        log.info("key of %s/%s %s", owner, project, "created" if created else "already existed")
        # Only the key: as upstream, pubkey.gpg is published by the project's first RPM build
        # (or by a fork), not by this action.

    def _write_pubkey(self, owner: str, project: str, dirname: str) -> None:
        path = self.layout.pubkey_path(owner, dirname)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.signer.pubkey_bounded(owner, project))

    def delete_copr(self, data: dict[str, Any]) -> None:
        owner = data["ownername"]
        for dirname in data.get("project_dirnames") or []:
            _remove(self.layout.project_dir(owner, dirname))

    def delete_build(self, data: dict[str, Any]) -> None:
        self._delete_builddirs(data["ownername"], data["project_dirname"], data.get("chroot_builddirs") or {})

    def delete_builds(self, data: dict[str, Any]) -> None:
        for dirname, chroot_builddirs in (data.get("project_dirnames") or {}).items():
            self._delete_builddirs(data["ownername"], dirname, chroot_builddirs or {})

    def _delete_builddirs(self, owner: str, dirname: str, chroot_builddirs: dict[str, list[str]]) -> None:
        for chroot, subdirs in chroot_builddirs.items():
            chroot_dir = self.layout.chroot_dir(owner, dirname, chroot)
            names = [safe_name(s, "build dir") for s in subdirs or []]
            if not chroot_dir.is_dir():
                continue  # nothing was ever published there
            if chroot != SRPM_CHROOT:
                # Metadata first, files second: the repo never points at deleted RPMs.
                self.createrepo.run(chroot_dir, excludes=names)
                if (chroot_dir / DEVEL_DIR / "repodata").is_dir():
                    self.createrepo.run(chroot_dir, excludes=names, devel=True,
                                        baseurl=self.layout.repo_baseurl(chroot_dir))
                for name in names:
                    _remove(chroot_dir / name)
            # srpm-builds/<id> stays, as upstream's backend leaves it: it is pruned by age
            # (prune_days), not by the delete action.

    def delete_chroot(self, data: dict[str, Any]) -> None:
        _remove(self.layout.chroot_dir(data["ownername"], data["projectname"], data["chrootname"]))

    def remove_dirs(self, data: list[str]) -> None:
        for full in data or []:
            owner, _, dirname = str(full).partition("/")
            _remove(self.layout.project_dir(owner, dirname))

    def fork(self, action: dict[str, Any], data: dict[str, Any]) -> None:
        """Copy the listed builds to the new project, re-signed with its own new key."""
        src_owner, _, src_dir = str(action["old_value"]).partition("/")
        dst_owner, _, dst_dir = str(action["new_value"]).partition("/")
        dst_project = data.get("copr") or dst_dir
        dst_owner = data.get("user") or dst_owner
        src_path = self.layout.project_dir(src_owner, src_dir)
        dst_path = self.layout.project_dir(dst_owner, dst_dir)
        self.signer.gen_key(dst_owner, dst_project)
        self._write_pubkey(dst_owner, dst_project, dst_dir)
        if not src_path.is_dir():
            raise ActionFailed(f"the source project has no results: {src_owner}/{src_dir}")
        for chroot, mapping in (data.get("builds_map") or {}).items():
            chroot = safe_name(chroot, "chroot")
            for old, new in (mapping or {}).items():
                if not old or not new:
                    continue
                source = src_path / chroot / safe_name(old, "build dir")
                target = dst_path / chroot / safe_name(new, "build dir")
                if not source.is_dir():
                    log.warning("fork: %s has no results, skipped", source)
                    continue
                shutil.copytree(source, target, dirs_exist_ok=True)
                rpms = sorted(p for p in target.rglob("*.rpm") if "prev_build_backup" not in p.parts)
                self.signer.sign_rpms(dst_owner, dst_project, rpms, chroot)
            if chroot != SRPM_CHROOT:
                self.createrepo.run(dst_path / chroot)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


class ActionWorker:
    """Polls `pending-action` and reports each action's result with `update`."""

    def __init__(self, frontend: FrontendClient, handler: ActionHandler) -> None:
        self.frontend = frontend
        self.handler = handler
        self._queue_state = ChangeLog(log)

    def next_action(self) -> dict[str, Any] | None:
        try:
            action = self.frontend.get("pending-action", try_indefinitely=False)
        except FrontendTooOld:
            return None
        except FrontendError as error:
            self._queue_state.report(str(error), logging.WARNING, f"cannot get pending actions: {error}")
            return None
        self._queue_state.clear(message="getting pending actions works again")
        return action if isinstance(action, dict) and "id" in action else None

    def process(self, action: dict[str, Any]) -> Result:
        """Do one action and report it (the report is retried until the frontend takes it)."""
        name = describe(action)
        log.info("%s: started", name)
        message = ""
        try:
            self.handler.handle(action)
            result = Result.success
        except Exception as error:  # noqa: BLE001 - a failed action is reported, not fatal
            result = Result.failure
            message = f"{type(error).__name__}: {error}" if not isinstance(error, ActionFailed) else str(error)
        entry: dict[str, Any] = {"id": action["id"], "result": int(result)}
        if message:
            entry["message"] = message
        self.frontend.post("update", {"actions": [entry]})
        log.info("%s: %s%s", name, result.name, f" ({message})" if message else "")
        return result

    def cycle(self) -> bool:
        """Handle the next waiting action, if any; True when one was handled."""
        action = self.next_action()
        if action is None:
            return False
        try:
            self.process(action)
        except FrontendError as error:
            log.warning("%s: reporting the result failed: %s", describe(action), error)
        return True

    def run(self, interval: float, stop: threading.Event) -> None:
        log.info("action worker polling %s every %.1fs", self.frontend.base_url, interval)
        while not stop.is_set():
            try:
                busy = self.cycle()
            except Exception:  # noqa: BLE001 - keep polling whatever one action hit
                log.exception("action cycle failed")
                busy = False
            if not busy:
                stop.wait(interval)
