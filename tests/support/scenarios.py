"""Scenario texts the tests share."""

# The smallest useful stack: database and frontend, candidate versions only.
SMALL = """\
components: [database, frontend]
candidate:
  python3-copr-common: {pypi: "copr-common==1.7"}
  copr-frontend:
    version: "2.7"
    macros: {copr_common_version: "1.1.2", fe_be_api_version: 9}
"""


def common_package(version: str):
    """python3-copr-common labelled `version`: PyPI's copr-common 1.7 (the stand-in library is
    gone), for tests that need the package at some version."""
    from harness.model.scenario import PackageVersion

    return PackageVersion.model_validate({"pypi": "copr-common==1.7", "version": version})
