"""Tests of the bundled datasets."""

import numpy as np
import pytest

from keras_nas.datasets import load_digits


def test_digits_split_is_stratified_scaled_and_reproducible():
    (x_train, y_train), (x_val, y_val) = load_digits(validation_fraction=0.25, seed=3)
    assert x_train.shape == (1347, 8, 8, 1) and x_val.shape == (450, 8, 8, 1)
    assert x_train.dtype == np.float32 and 0.0 == x_train.min() and x_train.max() == 1.0
    assert sorted(np.unique(y_val)) == list(range(10))
    assert np.bincount(y_val).min() >= 43
    (x_again, _), _ = load_digits(validation_fraction=0.25, seed=3)
    np.testing.assert_array_equal(x_train, x_again)


@pytest.mark.parametrize("fraction", [0, 1, -0.5])
def test_invalid_validation_fraction(fraction):
    with pytest.raises(ValueError, match=r"`validation_fraction` must be in \(0, 1\)"):
        load_digits(validation_fraction=fraction)
