"""Tests for the zero-cost proxies: each against a value computed by hand or with numpy."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_nas.estimation import (
    ZERO_COST_PROXIES,
    mini_batch,
    ranking_score,
    zero_cost_score,
    zero_cost_scores,
)
from keras_nas.search_spaces import NASBench201Space
from tests.messages import assert_mentions

ALL_CONVOLUTIONS = (
    "|nor_conv_3x3~0|+"
    + "|nor_conv_3x3~0|nor_conv_3x3~1|+"
    + "|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"
)


def _dense(units, kernel, activation=None):
    layer = keras.layers.Dense(units, activation=activation, use_bias=False)
    return layer, np.asarray(kernel, "float32")


def _model(*layers_and_kernels, inputs=4):
    """A Sequential model of bias-free Dense layers with the given kernels."""
    model = keras.Sequential([keras.Input((inputs,)), *[layer for layer, _ in layers_and_kernels]])
    for layer, kernel in layers_and_kernels:
        layer.set_weights([kernel])
    return model


def _two_layers(seed=0, activation="softmax"):
    rng = np.random.default_rng(seed)
    w1, w2 = rng.normal(size=(4, 3)), rng.normal(size=(3, 2))
    return _model(_dense(3, w1), _dense(2, w2, activation)), w1, w2


def test_synflow_of_a_two_layer_linear_net_is_twice_the_positive_net_output_on_ones():
    # R = 1^T |W1| |W2| 1 is linear in each layer's weights, so the sum over a layer of
    # |w| dR/dw is R (Euler), once per layer: the score is 2R, read from the logits.
    model, w1, w2 = _two_layers()
    w1, w2 = (np.abs(w.astype("float32")).astype("float64") for w in (w1, w2))
    expected = 2 * np.sum(np.ones(4) @ w1 @ w2)
    assert zero_cost_score(model, proxy="synflow") == pytest.approx(expected, rel=1e-12)


def test_synflow_runs_in_float64_where_float32_would_overflow():
    # A deep NAS-Bench-201 network of convolutions: far beyond float32's 3.4e38.
    space = NASBench201Space(input_shape=(32, 32, 3), num_classes=10, cells_per_stage=3)
    keras.utils.set_random_seed(0)
    model = space.build_model(space.from_arch_string(ALL_CONVOLUTIONS))
    score = zero_cost_score(model, proxy="synflow")
    assert 1e39 < score < math.inf


def test_naswot_is_the_log_determinant_of_the_hamming_kernel_of_known_activation_codes():
    # The identity kernel makes the ReLU codes the signs of the inputs: [1, 0, 1] and
    # [1, 1, 0] match in 3 units with themselves and in 1 with each other: log det
    # [[3, 1], [1, 3]] = log 8.
    model = _model(_dense(3, np.eye(3), "relu"), _dense(2, np.ones((3, 2)), "softmax"), inputs=3)
    x = np.array([[1.0, -1.0, 2.0], [3.0, 1.0, -1.0]], "float32")
    assert zero_cost_score(model, x, proxy="naswot") == pytest.approx(math.log(8))


def test_naswot_of_identical_codes_is_minus_infinity_and_ranks_last():
    model = _model(_dense(3, np.eye(3), "relu"), _dense(2, np.ones((3, 2)), "softmax"), inputs=3)
    x = np.array([[1.0, 2.0, 3.0], [2.0, 2.0, 2.0]], "float32")
    score = zero_cost_score(model, x, proxy="naswot")
    assert score == -math.inf
    assert ranking_score(score) == -math.inf


def test_jacob_cov_matches_numpy_on_a_relu_net():
    rng = np.random.default_rng(1)
    w1, w2 = rng.normal(size=(4, 6)), rng.normal(size=(6, 3))
    model = _model(_dense(6, w1, "relu"), _dense(3, w2, "softmax"))
    x = rng.normal(size=(5, 4)).astype("float32")
    # d(sum of logits)/dx for each example: W1 diag(relu'(x W1)) W2 1.
    mask = (x @ w1.astype("float32") > 0).astype("float64")
    jacobians = (mask * (w2 @ np.ones(3))) @ w1.T
    eigenvalues = np.linalg.eigvalsh(np.corrcoef(jacobians))
    expected = -np.sum(np.log(eigenvalues + 1e-5) + 1 / (eigenvalues + 1e-5))
    assert zero_cost_score(model, x, proxy="jacob_cov") == pytest.approx(expected, rel=1e-4)


def _softmax_regression():
    rng = np.random.default_rng(2)
    w = rng.normal(size=(4, 3))
    x = rng.normal(size=(8, 4)).astype("float32")
    y = np.array([0, 1, 2, 0, 1, 2, 0, 1])
    logits = x @ w
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    gradient = x.T @ (probabilities - np.eye(3)[y]) / len(x)  # of the mean cross-entropy
    return _model(_dense(3, w, "softmax")), x, y, w, gradient


def test_grad_norm_and_snip_match_the_cross_entropy_gradient_computed_with_numpy():
    model, x, y, w, gradient = _softmax_regression()
    scores = zero_cost_scores(model, x, y, proxies=["grad_norm", "snip"])
    assert scores["grad_norm"] == pytest.approx(np.linalg.norm(gradient), rel=1e-5)
    assert scores["snip"] == pytest.approx(np.sum(np.abs(w * gradient)), rel=1e-5)


def test_one_hot_labels_give_the_scores_of_class_indices():
    model, x, y, _, _ = _softmax_regression()
    assert zero_cost_score(model, x, np.eye(3)[y], proxy="snip") == pytest.approx(
        zero_cost_score(model, x, y, proxy="snip"), rel=1e-6
    )


def test_a_softmax_layer_output_is_read_as_its_logits():
    model, w1, w2 = _two_layers(activation=None)
    inputs = keras.Input((4,))
    logits = model(inputs)
    with_layer = keras.Model(inputs, keras.layers.Softmax()(logits))
    with_activation, _, _ = _two_layers()
    x, y = np.random.default_rng(0).normal(size=(8, 4)).astype("float32"), np.arange(8) % 2
    for proxy in ("synflow", "snip"):
        expected = zero_cost_score(with_activation, x, y, proxy=proxy)
        assert zero_cost_score(with_layer, x, y, proxy=proxy) == pytest.approx(expected)
    assert zero_cost_score(with_layer, proxy="synflow") > 0


def test_a_sigmoid_output_takes_labels_of_one_dimension():
    rng = np.random.default_rng(3)
    w = rng.normal(size=(4, 1))
    model = _model(_dense(1, w, "sigmoid"))
    x, y = rng.normal(size=(6, 4)).astype("float32"), np.array([0, 1, 1, 0, 1, 0])
    logits = x @ w.astype("float32")
    gradient = x.T @ (1 / (1 + np.exp(-logits)) - y[:, None]) / len(x)
    assert zero_cost_score(model, x, y, proxy="snip") == pytest.approx(
        np.sum(np.abs(w * gradient)), rel=1e-5
    )


def test_the_batch_comes_from_a_dataset_or_integer_images():
    model = _model(_dense(6, np.eye(4, 6), "relu"), _dense(3, np.ones((6, 3)), "softmax"))
    x = np.random.default_rng(0).integers(-5, 5, size=(8, 4)).astype("int32")
    y = np.arange(8) % 3
    dataset = tf.data.Dataset.from_tensor_slices((x, y, np.ones(8))).batch(8)
    from_arrays = zero_cost_scores(model, x, y, proxies=["naswot", "jacob_cov", "snip"])
    assert zero_cost_scores(model, dataset, proxies=list(from_arrays)) == from_arrays
    batch_x, batch_y = mini_batch({"a": x, "b": x}, y, batch_size=3, seed=0)
    assert batch_x["a"].shape == (3, 4) and batch_x["a"].dtype == tf.float32
    np.testing.assert_array_equal(batch_x["a"], batch_x["b"])


def test_params_and_flops_are_exact():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8), keras.layers.Dense(3)])
    assert zero_cost_scores(model, proxies=["params", "flops"]) == {
        "params": 4 * 8 + 8 + 8 * 3 + 3,
        "flops": 4 * 8 + 8 * 3,
    }


def test_data_proxies_use_batch_statistics_and_leave_batch_norm_and_dropout_as_they_were():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((4,))
    x = keras.layers.Dense(6)(inputs)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.ReLU()(x)
    x = keras.layers.Dropout(0.5)(x)
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(x))
    before = [variable.numpy() for variable in model.variables]
    data = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
    labels = np.arange(32) % 3
    first = zero_cost_scores(
        model, data, labels, proxies=["naswot", "jacob_cov", "grad_norm", "snip"]
    )
    # Dropout off while scoring: the same call gives the same scores.
    assert zero_cost_scores(model, data, labels, proxies=list(first)) == first
    for variable, value in zip(model.variables, before, strict=True):
        np.testing.assert_array_equal(variable.numpy(), value)
    assert model.layers[4].rate == 0.5


def test_the_batch_is_drawn_by_the_seed():
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(3)]
    )
    x = np.random.default_rng(0).normal(size=(100, 4)).astype("float32")

    def score(seed):
        return zero_cost_score(model, x, proxy="naswot", batch_size=10, seed=seed)

    assert score(3) == score(3)
    assert score(3) != score(4)


def test_jacob_cov_is_nan_where_an_example_has_a_constant_gradient():
    # A first layer of zero weights: the logits do not depend on the inputs, and every
    # gradient is exactly zero. (A network whose gradients are zero only up to rounding,
    # such as BatchNormalization on batch statistics straight into the logits, gives
    # float32 noise instead, which scores as a number.)
    inputs = keras.Input((4,))
    x = keras.layers.Dense(6, activation="relu", kernel_initializer="zeros")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(x))
    data = np.random.default_rng(0).normal(size=(8, 4)).astype("float32")
    assert math.isnan(zero_cost_score(model, data, proxy="jacob_cov"))


def test_a_candidate_with_nan_weights_ranks_last():
    good, _, _ = _two_layers()
    bad = _model(_dense(3, np.full((4, 3), np.nan)), _dense(2, np.ones((3, 2)), "softmax"))
    scores = {
        name: zero_cost_score(model, proxy="synflow")
        for name, model in [("good", good), ("bad", bad)]
    }
    assert math.isnan(scores["bad"])
    assert sorted(scores, key=lambda name: ranking_score(scores[name]), reverse=True) == [
        "good",
        "bad",
    ]


def test_every_proxy_scores_a_search_space_network():
    space = NASBench201Space(input_shape=(16, 16, 1), num_classes=4, cells_per_stage=1, channels=4)
    keras.utils.set_random_seed(0)
    model = space.build_model(
        space.from_arch_string(
            "|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|avg_pool_3x3~0|none~1|nor_conv_3x3~2|"
        )
    )
    x = np.random.default_rng(0).normal(size=(8, 16, 16, 1)).astype("float32")
    scores = zero_cost_scores(model, x, np.arange(8) % 4)
    assert list(scores) == list(ZERO_COST_PROXIES)
    assert all(math.isfinite(score) for score in scores.values()), scores


def test_an_unknown_proxy_is_refused_with_the_accepted_names():
    model, _, _ = _two_layers()
    with pytest.raises(ValueError) as error:
        zero_cost_score(model, proxy="synflo")
    assert_mentions(str(error.value), "Unknown zero-cost proxy", "'synflo'", *ZERO_COST_PROXIES)


def test_bad_counts_and_an_empty_proxy_list_are_refused():
    model, _, _ = _two_layers()
    with pytest.raises(ValueError, match="`batch_size` must be a positive integer"):
        zero_cost_score(model, proxy="params", batch_size=0)
    with pytest.raises(ValueError, match="`seed` must be an integer of at least 0"):
        zero_cost_score(model, proxy="params", seed=-1)
    with pytest.raises(ValueError, match="at least one of .*Received: \\[\\]"):
        zero_cost_scores(model, proxies=[])


def test_a_data_proxy_without_inputs_or_labels_is_refused():
    model, _, _ = _two_layers()
    with pytest.raises(ValueError, match="pass `x`.*Received: x=None"):
        zero_cost_score(model, proxy="naswot")
    with pytest.raises(ValueError, match="labels `y`.*Received: y=None"):
        zero_cost_score(model, np.ones((2, 4)), proxy="snip")


def test_an_unbuilt_model_is_refused():
    with pytest.raises(ValueError, match="built model with known inputs"):
        zero_cost_score(keras.Sequential([keras.layers.Dense(2)]), proxy="params")


def test_a_model_without_relu_like_activations_has_no_naswot_score():
    model, _, _ = _two_layers()
    with pytest.raises(ValueError, match="found no such layer"):
        zero_cost_score(model, np.ones((2, 4)), proxy="naswot")
