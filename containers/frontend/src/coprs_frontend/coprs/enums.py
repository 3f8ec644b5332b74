"""Numbers upstream uses on the wire and in the database (besides copr_common's states)."""

# Upstream's copr_common: StatusEnum.failed and StatusEnum("failed") are 0, StatusEnum(0) is
# "failed"; it has no names on the numbers and no FINISHED_STATES (helpers below).
from copr_common.enums import StatusEnum

FINISHED_STATES = {StatusEnum.failed, StatusEnum.succeeded, StatusEnum.canceled, StatusEnum.skipped}


def state_name(number: int) -> str:
    """The name of a build (chroot) state number."""
    return StatusEnum(int(number))


SOURCE_TYPES = {"unset": 0, "link": 1, "upload": 2, "pypi": 5, "rubygems": 6, "scm": 8,
                "custom": 9, "distgit": 10}
SOURCE_NAMES = {number: name for name, number in SOURCE_TYPES.items()}

ACTION_TYPES = {"delete": 0, "rename": 1, "legal-flag": 2, "createrepo": 3, "update_comps": 4,
                "gen_gpg_key": 5, "rawhide_to_release": 6, "fork": 7, "update_module_md": 8,
                "build_module": 9, "cancel_build": 10, "remove_dirs": 11}
ACTION_PRIORITY = {"gen_gpg_key": -70, "cancel_build": -10, "delete": 60, "rawhide_to_release": 70}

FAIL_TYPES = {"unset": 0, "unknown_error": 1, "build_error": 2, "srpm_import_failed": 3,
              "srpm_download_failed": 4, "srpm_build_error": 34}

# Order in which chroot states decide a build's state (upstream's rule).
STATE_ORDER = [StatusEnum.running, StatusEnum.starting, StatusEnum.pending, StatusEnum.failed,
               StatusEnum.succeeded, StatusEnum.skipped, StatusEnum.forked]
