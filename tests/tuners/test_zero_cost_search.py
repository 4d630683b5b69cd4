"""A search with a zero-cost pre-filter: the tuner scores each candidate untrained."""

import keras
import pytest

from keras_nas import NASTuner
from keras_nas.datasets import load_digits
from keras_nas.estimation import ZeroCostFilter, zero_cost_score
from keras_nas.oracles import RegularizedEvolutionOracle


@pytest.fixture(scope="module")
def digits():
    return load_digits()


def build(hp):
    model = keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            keras.layers.Flatten(),
            keras.layers.Dense(hp.Choice("units", [4, 8, 16, 32]), activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _search(zero_cost, max_trials, directory, digits):
    (x, y), validation = digits
    oracle = RegularizedEvolutionOracle(
        objective="val_accuracy", max_trials=max_trials, seed=0, zero_cost=zero_cost
    )
    tuner = NASTuner(build, oracle, directory=directory, progress_out=None)
    tuner.search(x, y, validation_data=validation, epochs=1, verbose=0)
    return list(tuner.oracle.trials.values())


def test_the_best_proposal_by_the_proxy_is_trained(digits, tmp_path):
    trials = _search(ZeroCostFilter("params", candidates=4), 1, str(tmp_path), digits)
    # The four distinct proposals are the four widths; `params` prefers the widest.
    (trial,) = trials
    assert trial.hyperparameters.values == {"units": 32}
    assert trial.metrics.get_last_value("zero_cost/params") == 64 * 32 + 32 + 32 * 10 + 10


def test_each_trial_records_a_score_that_depends_on_its_architecture_only(digits, tmp_path):
    (x, y), _ = digits
    zero_cost = ZeroCostFilter("snip", candidates=2, batch_size=32, seed=5)
    trials = _search(zero_cost, 2, str(tmp_path), digits)
    assert [trial.status for trial in trials] == ["COMPLETED", "COMPLETED"]
    for trial in trials:
        # Built with the filter's seed and scored on the search's training data.
        hp = trial.hyperparameters.copy()
        keras.utils.set_random_seed(5)
        expected = zero_cost_score(build(hp), x, y, proxy="snip", batch_size=32, seed=5)
        assert trial.metrics.get_last_value("zero_cost/snip") == pytest.approx(expected)
