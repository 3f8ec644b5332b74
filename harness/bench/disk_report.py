"""What is on disk in the backend's results tree for each project, as JSON on stdout.

Not imported by the harness: the load test reads this file (importlib.resources) and runs it in
the backend container (`python3 -c`, with the results root and the projects as arguments), where
only the standard library is at hand. Per project: its SRPM result dirs, and per chroot the build
result dirs (their RPMs, results.json, success mark), the RPMs on disk, and the locations the
repository's primary metadata lists.
"""

import gzip
import json
import os
import re
import sys


def report(root: str, projects: list[str]) -> dict:
    out = {}
    for full in projects:
        top = os.path.join(root, full)
        entry = {"srpm_dirs": sorted(os.listdir(os.path.join(top, "srpm-builds")))
                 if os.path.isdir(os.path.join(top, "srpm-builds")) else [], "chroots": {}}
        for chroot in sorted(os.listdir(top)) if os.path.isdir(top) else []:
            cdir = os.path.join(top, chroot)
            if chroot == "srpm-builds" or not os.path.isdir(cdir):
                continue
            dirs, on_disk = {}, []
            for name in sorted(os.listdir(cdir)):
                path = os.path.join(cdir, name)
                if not re.match(r"^\d{8}", name) or not os.path.isdir(path):
                    continue
                rpms = sorted(f for f in os.listdir(path) if f.endswith(".rpm"))
                on_disk += [name + "/" + f for f in rpms]
                try:
                    with open(os.path.join(path, "results.json")) as handle:
                        results = json.load(handle)
                except (OSError, ValueError):
                    results = None
                dirs[name] = {"rpms": rpms, "results": results,
                              "success": os.path.exists(os.path.join(path, "success"))}
            listed = None
            try:
                with open(os.path.join(cdir, "repodata", "repomd.xml")) as handle:
                    href = re.search(r'<data type="primary">.*?<location href="([^"]+)"',
                                     handle.read(), re.S).group(1)
                with gzip.open(os.path.join(cdir, href), "rt") as handle:
                    listed = sorted(re.findall(r'<location href="([^"]+)"', handle.read()))
            except (OSError, AttributeError):
                pass
            entry["chroots"][chroot] = {"dirs": dirs, "rpms": sorted(on_disk), "repodata": listed}
        out[full] = entry
    return out


if __name__ == "__main__":
    print(json.dumps(report(sys.argv[1], sys.argv[2:])))
