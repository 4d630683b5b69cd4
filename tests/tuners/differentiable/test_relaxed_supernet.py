"""`RelaxedSupernet`: each step updates only its own variables, from its own data split."""

import keras
import numpy as np
import pytest

from keras_nas.search_spaces import NASBench201Space
from keras_nas.tuners.differentiable import RelaxedSupernet
from keras_nas.tuners.differentiable.schedules import EpochSchedules
from tests.messages import raises_mentioning


def _space(operations=("skip_connect", "nor_conv_1x1")):
    return NASBench201Space(
        input_shape=(4, 4, 1), num_classes=3, cells_per_stage=1, channels=2, operations=operations
    )


def _supernet(method="darts", space=None):
    space = space or _space()
    network, choices = space.build_relaxed_supernet(sample=method == "gdas")
    supernet = RelaxedSupernet(network, choices, method=method, seed=0)
    supernet.compile(
        optimizer=keras.optimizers.SGD(0.1),
        architecture_optimizer=keras.optimizers.Adam(0.1),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    supernet.build_optimizers()
    return supernet


def _batch(seed):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(8, 4, 4, 1)).astype("float32"), rng.integers(0, 3, 8)


def _values(variables):
    return [keras.ops.convert_to_numpy(v).copy() for v in variables]


def _changed(before, variables):
    return [not np.array_equal(b, a) for b, a in zip(before, _values(variables), strict=True)]


@pytest.mark.parametrize("method", ["darts", "gdas"])
def test_the_architecture_step_moves_only_the_architecture_parameters(method):
    supernet = _supernet(method)
    supernet.temperature.assign(1.0)
    weights, alphas = _values(supernet.network.trainable_variables), _values(supernet.alphas)
    supernet.architecture_step(*_batch(0))
    assert not any(_changed(weights, supernet.network.trainable_variables))
    assert all(_changed(alphas, supernet.alphas))


@pytest.mark.parametrize("method", ["darts", "gdas"])
def test_the_weights_step_leaves_the_architecture_parameters_alone(method):
    supernet = _supernet(method)
    supernet.temperature.assign(1.0)
    weights, alphas = _values(supernet.network.trainable_variables), _values(supernet.alphas)
    logs = supernet.weights_step(*_batch(0))
    assert not any(_changed(alphas, supernet.alphas))
    assert any(_changed(weights, supernet.network.trainable_variables))
    assert {"loss", "accuracy"} <= set(logs)


def test_fit_steps_the_architecture_on_validation_batches_and_the_weights_on_training_ones():
    seen = []

    class Recording(RelaxedSupernet):
        def architecture_step(self, x, y):
            seen.append(("architecture", float(keras.ops.mean(x))))
            return super().architecture_step(x, y)

        def weights_step(self, x, y):
            seen.append(("weights", float(keras.ops.mean(x))))
            return super().weights_step(x, y)

    space = _space()
    supernet = Recording(*space.build_relaxed_supernet(), seed=0)
    supernet.compile(
        optimizer="sgd",
        architecture_optimizer=keras.optimizers.Adam(0.1),
        loss="sparse_categorical_crossentropy",
        run_eagerly=True,
    )
    training = np.zeros((8, 4, 4, 1), "float32"), np.zeros(8, "int64")
    validation = np.ones((8, 4, 4, 1), "float32"), np.ones(8, "int64")
    import tensorflow as tf

    pairs = tf.data.Dataset.zip(
        (
            tf.data.Dataset.from_tensor_slices(training).batch(4),
            tf.data.Dataset.from_tensor_slices(validation).batch(4).repeat(),
        )
    )
    supernet.fit(pairs, epochs=1, verbose=0)
    assert seen == [("architecture", 1.0), ("weights", 0.0)] * 2


def test_evaluation_mixes_operations_under_darts_and_takes_the_strongest_under_gdas():
    for method, expected in (("darts", [0.25, 0.75]), ("gdas", [0.0, 1.0])):
        supernet = _supernet(method)
        for alpha in supernet.alphas:
            alpha.assign(np.log([1.0, 3.0]))
        weights = [keras.ops.convert_to_numpy(w) for w in supernet.choice_weights(False)]
        np.testing.assert_allclose(weights, [expected] * 6, rtol=1e-6)


def test_gdas_training_weights_are_one_hot_samples():
    supernet = _supernet("gdas")
    supernet.temperature.assign(1.0)
    for alpha in supernet.alphas:
        alpha.assign([-30.0, 30.0])  # The second operation is drawn whatever the noise.
    for weights in supernet.choice_weights(training=True):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(weights), [0.0, 1.0], atol=1e-6)


def test_hand_set_parameters_discretize_to_each_edges_strongest_operation():
    space = _space(("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"))
    supernet = _supernet(space=space)
    chosen = ["nor_conv_3x3", "none", "skip_connect", "avg_pool_3x3", "nor_conv_1x1", "none"]
    for alpha, op in zip(supernet.alphas, chosen, strict=True):
        alpha.assign([2.0 if value == op else 0.0 for value in space.operations])
    values = space.discretize(supernet.probabilities())
    assert space.to_arch_string(values) == (
        "|nor_conv_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_1x1~1|none~2|"
    )
    assert supernet.derived_summary().startswith("cell/edge_1/op=nor_conv_3x3, ")


def test_the_schedules_set_rate_temperature_and_penalty_from_the_epoch():
    supernet = _supernet("gdas")
    schedules = EpochSchedules(
        5, learning_rate=0.1, min_learning_rate=0.0, temperature=(10.0, 0.1), collapse_weight=2.0
    )
    schedules.set_model(supernet)
    schedules.on_epoch_begin(4)  # A resumed search starts at a later epoch.
    assert float(supernet.temperature) == pytest.approx(0.1)
    assert float(supernet.collapse_weight) == pytest.approx(2.0)
    assert float(supernet.optimizer.learning_rate) == pytest.approx(
        0.1 * 0.5 * (1 + np.cos(0.8 * np.pi))
    )
    schedules.on_epoch_begin(0)
    assert float(supernet.temperature) == pytest.approx(10.0)
    assert float(supernet.collapse_weight) == 0.0


def test_the_state_round_trips_and_a_different_supernet_is_refused():
    supernet = _supernet()
    supernet.architecture_step(*_batch(0))
    state = supernet.state_arrays()
    other = _supernet()
    other.set_state_arrays(state)
    for a, b in zip(state, other.state_arrays(), strict=True):
        np.testing.assert_array_equal(a, b)
    bigger = _supernet(space=_space(("skip_connect", "nor_conv_1x1", "none")))
    with raises_mentioning(ValueError, "do not match", "overwrite=True"):
        bigger.set_state_arrays(state)


def test_an_unknown_method_is_refused():
    network, choices = _space().build_relaxed_supernet()
    with raises_mentioning(ValueError, "`method` must be one of", "'enas'"):
        RelaxedSupernet(network, choices, method="enas")
