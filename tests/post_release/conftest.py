"""The post-release suite uses the sanity suite's fixtures (on the copr_harness plugin's)."""

from tests.sanity.conftest import backend_url, client, frontend_url, owner  # noqa: F401  (found by name)
