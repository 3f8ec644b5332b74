"""The gate's handling of pytest: exit codes mapped honestly, the selection collected alone."""

from __future__ import annotations

import pytest

from harness.errors import EXIT_FAILED, EXIT_INFRA, EXIT_OK, EXIT_USAGE, InputError
from harness.gates import suites


@pytest.mark.parametrize(("pytest_code", "harness_code"), [
    (0, EXIT_OK), (1, EXIT_FAILED), (2, EXIT_INFRA), (3, EXIT_INFRA), (4, EXIT_USAGE),
    (5, EXIT_USAGE), (99, EXIT_INFRA)])
def test_pytest_exit_codes_map_to_the_harness_codes(pytest_code, harness_code):
    assert suites.exit_code(pytest_code) == harness_code


def test_the_selection_drops_parallelism_and_keeps_the_rest():
    command = suites._selection("sanity", ["-n", "auto", "-k", "smoke", "-n4", "-x"])
    assert command[-3:] == ["-k", "smoke", "-x"] and "auto" not in command and "-n4" not in command
    assert str(suites.SUITES / "sanity") in command


def test_collecting_counts_the_selected_tests_and_refuses_an_empty_selection():
    assert suites.collect("sanity", ["-k", "test_frontend_answers or smoke"]) >= 1
    with pytest.raises(InputError, match="no test of the sanity suite matches -k nothing_here"):
        suites.collect("sanity", ["-k", "nothing_here"])
