"""Scenario texts the tests share."""

# The smallest useful stack: database and frontend, candidate versions only.
SMALL = """\
components: [database, frontend]
candidate:
  python3-copr-common: {version: "1.7.2"}
  copr-frontend:
    version: "2.7"
    macros: {copr_common_version: "1.1.2", fe_be_api_version: 9}
"""
