"""The one percentile helper the load test and the benchmark share."""

import pytest

from harness.reports.stats import median, mib, percentile, summary


def test_percentile_interpolates_between_ranks():
    assert median([1, 2, 3, 4]) == 2.5
    assert median([5, 1, 3]) == 3
    assert percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90) == pytest.approx(9.1)
    assert percentile([10, 20], 0) == 10
    assert percentile([10, 20], 100) == 20
    assert percentile([7], 90) == 7


def test_percentile_refuses_no_values_and_bad_ranks():
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)
    with pytest.raises(ValueError, match="between 0 and 100"):
        percentile([1], 101)


def test_summary_and_mib():
    assert summary([4, 1, 3, 2]) == {"min": 1, "median": 2.5, "p90": pytest.approx(3.7), "max": 4}
    assert mib(3 * 2**20 + 2**19) == 3.5
