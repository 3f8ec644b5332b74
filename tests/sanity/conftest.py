"""The sanity suite reads the stack it tests from the environment (see `copr-harness env`)."""

import os

import pytest


@pytest.fixture(scope="session")
def frontend_url() -> str:
    url = os.environ.get("FRONTEND_URL")
    if not url:
        pytest.fail("FRONTEND_URL is not set: run the suite through 'copr-harness sanity', "
                    "or export the lines 'copr-harness env' prints")
    return url.rstrip("/")
