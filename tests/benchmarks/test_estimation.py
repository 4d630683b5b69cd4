"""Tests of the zero-cost ranking benchmark's pieces (the full run reads the real table)."""

import math

import pytest

from benchmarks import estimation as benchmark


def test_correlations_rank_a_nan_or_infinite_score_last():
    accuracies = [10.0, 20.0, 30.0, 40.0]
    # The NaN and infinite scores belong to the two worst cells: a perfect ranking.
    spearman, kendall = benchmark.correlations([math.nan, math.inf, 1.0, 2.0], accuracies)
    assert spearman == pytest.approx(0.9486832980505138)  # the two last tie
    assert kendall == pytest.approx(0.9128709291752769)
    assert benchmark.correlations([4.0, 3.0, 2.0, 1.0], accuracies) == (-1.0, -1.0)


@pytest.mark.parametrize("kind, classes", [("shapes", 4), ("noise", 10)])
def test_generated_batches_are_cifar_sized_and_reproducible(kind, classes):
    x, y = benchmark.generated_batch(kind, 16)
    assert x.shape == (16, 32, 32, 3) and x.dtype == "float32"
    assert set(y.tolist()) <= set(range(classes))
    again, _ = benchmark.generated_batch(kind, 16)
    assert (x == again).all()
