"""Run ids, resource names, labels."""

import pytest

from harness.errors import InputError
from harness.naming import LABEL_RUN, check_run_id, labels, new_run_id, resource_name


def test_new_run_ids_are_valid_and_unique():
    ids = {new_run_id() for _ in range(50)}
    assert len(ids) == 50
    for run_id in ids:
        assert check_run_id(run_id) == run_id


@pytest.mark.parametrize("bad", ["", "A", "UPPER", "-lead", "has space", "x" * 40, "a_b"])
def test_bad_run_ids_are_refused_with_the_rule(bad):
    with pytest.raises(InputError, match="run id"):
        check_run_id(bad)


def test_names_and_labels():
    assert resource_name("ch-1", "frontend") == "ch-1-frontend"
    assert labels("ch-1", "frontend") == {LABEL_RUN: "ch-1", "copr-harness.component": "frontend"}


def test_secret_names_say_their_run():
    from harness.naming import secret_name, secret_run_id

    assert secret_run_id(secret_name("ch-1", "frontend-env")) == "ch-1"
    assert secret_run_id("someone-elses-secret") is None
    assert secret_run_id("ch-1.a-users-own-secret") is None
    assert secret_run_id(secret_name("ch-1-x", "env")) != "ch-1"
