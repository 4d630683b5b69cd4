"""`MixedOperation`: a weighted sum of its operations (DARTS) or the strongest one (GDAS)."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_nas.layers import MixedOperation
from tests.messages import raises_mentioning


def _branches():
    def branch(build):
        inputs = keras.Input((3,))
        return keras.Model(inputs, build(inputs))

    return {
        "dense": branch(lambda x: keras.layers.Dense(3, name="dense")(x)),
        "double": branch(lambda x: keras.layers.Rescaling(2.0)(x)),
        "square": branch(lambda x: keras.layers.Lambda(lambda t: t * t)(x)),
    }


def _mixed_model(sample):
    branches = _branches()
    x, weights = keras.Input((3,)), keras.Input((3,))
    model = keras.Model([x, weights], MixedOperation("op", branches, sample=sample)([x, weights]))
    return model, branches


@pytest.mark.parametrize("sample", [False, True])
@pytest.mark.parametrize("index", [0, 1, 2])
def test_one_hot_weights_compute_exactly_that_operation(sample, index):
    model, branches = _mixed_model(sample)
    x = np.random.default_rng(index).normal(size=(4, 3)).astype("float32")
    weights = np.tile(np.eye(3, dtype="float32")[index], (4, 1))
    expected = list(branches.values())[index](x)
    np.testing.assert_array_equal(model([x, weights]), expected)


def test_softmax_weights_mix_every_operation():
    model, branches = _mixed_model(sample=False)
    x = np.ones((2, 3), "float32")
    w = np.array([0.2, 0.3, 0.5], "float32")
    expected = sum(w[k] * branch(x) for k, branch in enumerate(branches.values()))
    np.testing.assert_allclose(model([x, np.tile(w, (2, 1))]), expected, rtol=1e-6)


def test_sampled_weights_run_the_strongest_and_pass_its_weight_gradient():
    model, branches = _mixed_model(sample=True)
    x = tf.fill((2, 3), 3.0)
    weights = tf.constant(np.tile(np.array([0.1, 0.2, 0.7], "float32"), (2, 1)))
    with tf.GradientTape() as tape:
        tape.watch(weights)
        out = model([x, weights])
        total = tf.reduce_sum(out)
    # 0.7 * x * x, plus the other weights (0.3): one-hot weights would add exactly 0.
    np.testing.assert_allclose(out, (0.7 * 9.0 + 0.3) * np.ones((2, 3)), rtol=1e-6)
    gradient = tape.gradient(total, weights).numpy()
    # Only the square operation ran: its weight's gradient is the sum of its outputs over the
    # batch (2 x 3 values of 9); each other weight, added as a scalar to all 6 outputs, gets
    # 6; all through the first row, which the layer reads.
    np.testing.assert_allclose(gradient, [[6.0, 6.0, 54.0], [0.0, 0.0, 0.0]], rtol=1e-6)


def test_fewer_than_two_operations_are_refused():
    with raises_mentioning(ValueError, "at least two operations", "Received: 1", "'edge'"):
        MixedOperation("edge", {"dense": _branches()["dense"]})
