"""copr-rpmbuild for the copr-harness stand-in stack: runs Copr build tasks with plain rpmbuild.

The command line and the result files follow Copr's builder (upstream's rpmbuild/ tree); builds
use the container's rpmbuild instead of mock, so chroot names are labels that only choose the
dist tag, the distribution macros and the target architecture.

Modules, in the order a task flows through them: `config` (main.ini), `task` (the task record),
`download` (HTTP with retries), `distgit` (clone + lookaside), `helpers` (chroots and macros),
`process` (child processes and the live log), `results` (results.json), `build` (SRPM and RPM
builds), `main` (the copr-rpmbuild command line), `commands` (copr-rpmbuild-log,
copr-rpmbuild-cancel, copr-builder-ready).
"""

try:
    # Written by the package's %install from the RPM's version.
    from ._version import VERSION
except ImportError:  # running from the source tree (unit tests)
    VERSION = "0+unknown"

__version__ = VERSION
