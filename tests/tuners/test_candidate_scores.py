"""Tests for `CandidateScorer`: one batch for the search, seeded builds, global state kept."""

import random

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_nas.estimation import ZeroCostFilter, zero_cost_score
from keras_nas.tuners.candidate_scores import CandidateScorer


def build(values):
    return keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(values["units"], activation="relu"),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )


def _data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(100, 4)).astype("float32"), rng.integers(3, size=100)


def test_scores_depend_on_the_architecture_only_and_the_global_state_is_kept():
    x, y = _data()
    scorer = CandidateScorer(ZeroCostFilter("snip", candidates=2, seed=3), build, x, y)
    random.seed(11)
    np.random.seed(11)
    python_state, numpy_state = random.getstate(), np.random.get_state()
    first = scorer({"units": 8})
    assert scorer({"units": 16}) != first
    assert scorer({"units": 8}) == first
    assert random.getstate() == python_state
    np.testing.assert_array_equal(np.random.get_state()[1], numpy_state[1])
    # The same as scoring the model built with the filter's seed, on the same 64 examples.
    keras.utils.set_random_seed(3)
    expected = zero_cost_score(build({"units": 8}), x, y, proxy="snip", seed=3)
    assert first == pytest.approx(expected)


def test_a_shuffled_dataset_gives_one_batch_for_the_whole_search():
    x, y = _data()
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(100).batch(16)
    scorer = CandidateScorer(ZeroCostFilter("naswot", candidates=2), build, dataset, None)
    assert scorer({"units": 8}) == scorer({"units": 8})


def test_the_trial_gets_the_scored_model_once():
    x, y = _data()
    scorer = CandidateScorer(ZeroCostFilter("params", candidates=2), build, x, y)
    scorer({"units": 8})
    scorer({"units": 16})
    scorer({"units": 32})  # Only the last `candidates` are kept.
    model = scorer.take({"units": 16})
    assert model.layers[0].units == 16
    assert scorer.take({"units": 32}) is None  # `take` forgets the rest of the round.


def test_data_that_gives_no_batch_is_refused_when_the_search_starts():
    with pytest.raises(ValueError) as error:
        CandidateScorer(ZeroCostFilter("naswot"), build, None, None)
    message = str(error.value)
    assert "'naswot' reads a batch" in message and "Received: x of type NoneType" in message
    # A proxy that reads no data needs none.
    assert CandidateScorer(ZeroCostFilter("synflow"), build, None, None)({"units": 4}) > 0
