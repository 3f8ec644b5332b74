"""The mock Copr backend: build dispatcher and workers, action worker, results web server.

`build_constants` (the version and the protocol constants) is written by the package's spec at
build time, so a running backend uses the values it was built with.
"""
