"""The post-release suite uses the sanity suite's fixtures (the same stack description)."""

from tests.sanity.conftest import (  # noqa: F401  (fixtures are found by name)
    client, copr_cli, copr_stack, frontend_url, owner, stack_host,
)
