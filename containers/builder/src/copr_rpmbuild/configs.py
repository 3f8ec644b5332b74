"""The build's configuration as mock's config syntax: configs/child.cfg and configs.tar.gz.

Upstream renders a mock config per task (`--dump-configs` writes it, an RPM build archives it as
configs.tar.gz). This builder runs rpmbuild without mock, so the file records what it uses, in
the same `config_opts[...]` form a Copr developer reads there: the target, the macros, the
network switch, the repositories the task names.
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path
from typing import Any

from .config import Config
from .helpers import copr_macros, distro_macros, split_chroot

CONFIGS_DIR = "configs"
CHILD_CFG = "child.cfg"


def build_macros(task: dict[str, Any], config: Config) -> dict[str, str]:
    """The macros an RPM build of `task` defines: the chroot's dist macros, then Copr's."""
    distro, _ = split_chroot(str(task["chroot"]))
    macros = distro_macros(distro, config.rawhide_version)
    macros.update(copr_macros(str(task.get("project_owner") or ""), str(task.get("project_name") or ""),
                              str(task.get("task_id") or ""), config.rpm_vendor_copr_name))
    return macros


def _py(value: Any) -> str:
    """A Python literal mock would read (repr is valid Python for str, bool, int, list)."""
    return repr(value)


def render_child_cfg(task: dict[str, Any], config: Config) -> str:
    """child.cfg of a task: what this builder's rpmbuild run uses, in mock's syntax."""
    chroot = str(task["chroot"])
    _, arch = split_chroot(chroot)
    packages = task.get("buildroot_pkgs") or task.get("additional_packages") or []
    lines = [
        f"# copr-rpmbuild (copr-harness stand-in) for task {task.get('task_id')}: rpmbuild runs",
        "# on the builder itself, not in a mock chroot; these are the settings it uses.",
        f"config_opts['root'] = {_py(chroot)}",
        f"config_opts['target_arch'] = {_py(arch)}",
        f"config_opts['rpmbuild_networking'] = {_py(bool(task.get('enable_net')))}",
    ]
    if packages:
        lines.append(f"config_opts['chroot_additional_packages'] = {_py(' '.join(map(str, packages)))}")
    if task.get("isolation") not in (None, "default"):
        lines.append(f"config_opts['isolation'] = {_py(task['isolation'])}")
    if task.get("timeout"):
        lines.append(f"config_opts['rpmbuild_timeout'] = {int(task['timeout'])}")
    for name, value in build_macros(task, config).items():
        lines.append(f"config_opts['macros']['%{name}'] = {_py(value)}")
    repos = [repo for repo in task.get("repos") or [] if isinstance(repo, dict) and repo.get("baseurl")]
    if repos:
        lines.append('config_opts["dnf.conf"] += """')
        for repo in repos:
            lines += [f"[{repo.get('id', 'repo')}]", f"name={_py(repo.get('name', repo.get('id', '')))}",
                      f"baseurl={repo['baseurl']}", "gpgcheck=0", "enabled=1", ""]
        lines.append('"""')
    return "\n".join(lines) + "\n"


def write_configs(task: dict[str, Any], config: Config) -> Path:
    """Write <resultdir>/configs/child.cfg (what --dump-configs leaves); return its path."""
    directory = config.resultdir / CONFIGS_DIR
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / CHILD_CFG
    path.write_text(render_child_cfg(task, config))
    return path


def archive_configs(resultdir: Path) -> None:
    """Pack <resultdir>/configs into configs.tar.gz and remove the folder (upstream's layout)."""
    directory = resultdir / CONFIGS_DIR
    if not directory.is_dir():
        return
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path in sorted(directory.iterdir()):
            if path.is_file() and not path.is_symlink():
                archive.add(path, arcname=f"{CONFIGS_DIR}/{path.name}")
    (resultdir / "configs.tar.gz").write_bytes(buffer.getvalue())
    for path in directory.iterdir():
        path.unlink()
    directory.rmdir()
