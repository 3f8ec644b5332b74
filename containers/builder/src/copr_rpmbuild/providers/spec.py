"""link, upload and spec builds: a .src.rpm as given, or `rpmbuild -bs` of a .spec file."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

from ..download import download
from ..errors import BuildError
from .base import rpmbuild_bs

if TYPE_CHECKING:
    from ..build import Build
    from ..task import Task


def produce_srpm(task: "Task", build: "Build", macros: dict[str, str]) -> None:
    url = task.source.get("url")
    if not url:
        raise BuildError(f"source_json of a '{task.source_type}' task has no 'url'")
    filename = os.path.basename(str(task.source.get("pkg") or unquote(urlparse(url).path)))
    if not filename.endswith((".src.rpm", ".spec")):
        raise BuildError(f"'{filename}' is neither a .src.rpm nor a .spec file")
    if filename.endswith(".src.rpm"):
        download(url, build.outdir / filename, build.log, build.config.network_timeout)
        return
    fetched = build.workdir / filename
    download(url, fetched, build.log, build.config.network_timeout)
    rpmbuild_bs(fetched, build.workdir, build, macros, task.timeout or build.config.default_timeout)
