"""A tight constraint on a real space: the search still runs every trial, each within the
limit, and a limit below the space's smallest candidate ends it with that candidate's cost
and what to change in that space; a limit the search cannot measure is a trial or an error
at once, never a crash mid-search."""

import keras
import numpy as np
import pytest
from keras_tuner.engine.trial import TrialStatus

import keras_nas
from keras_nas.datasets import load_digits
from keras_nas.objectives import Constraints
from keras_nas.search_spaces import MacroSpace, MLPSpace
from tests.messages import assert_mentions


@pytest.fixture(scope="module")
def digits():
    (x, y), (x_val, y_val) = load_digits()
    return x[:120], y[:120], x_val[:60], y_val[:60]


def _search(directory, digits, max_params, max_trials=3):
    x, y, x_val, y_val = digits
    tuner = keras_nas.EvolutionarySearch(
        MacroSpace(input_shape=(8, 8, 1), num_classes=10),
        objective="val_accuracy",
        max_trials=max_trials,
        seed=0,
        directory=str(directory),
        constraints=Constraints(max_params=max_params),
    )
    tuner.search(x, y, validation_data=(x_val, y_val), epochs=1, batch_size=60, verbose=0)
    return tuner


def test_a_limit_few_random_candidates_meet_still_gives_every_trial(tmp_path, digits):
    # About 1 random MacroSpace candidate in 150 has at most 20,000 parameters.
    tuner = _search(tmp_path, digits, max_params=20_000)
    trials = list(tuner.oracle.trials.values())
    assert len(trials) == 3
    assert all(t.status == TrialStatus.COMPLETED for t in trials)
    assert all(t.metrics.get_last_value("params") <= 20_000 for t in trials)


def test_a_limit_below_the_smallest_candidate_names_its_cost(tmp_path, digits, capsys):
    # The smallest MacroSpace (8x8) candidate, separable blocks of 16 filters, has 2,634.
    tuner = _search(tmp_path, digits, max_params=2_000)
    assert tuner.oracle.trials == {}
    err = capsys.readouterr().err
    assert_mentions(
        err,
        "after 0 trials",
        "smallest candidate",
        "2,634 parameters, over max_params=2,000",
        "stage_1/block='separable'",
        "stage_3/width=16",
    )


def _any_length_build(hp):
    # Inputs of any length: the model builds and trains, but its FLOPs cannot be counted.
    inputs = keras.Input((None, 4))
    x = keras.layers.Dense(hp.Choice("units", [4, 8]))(inputs)
    x = keras.layers.GlobalAveragePooling1D()(x)
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(x))
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_a_candidate_whose_flops_cannot_be_counted_is_a_trial_not_a_crash(tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 5, 4)).astype("float32"), rng.integers(2, size=16)
    tuner = keras_nas.EvolutionarySearch(
        _any_length_build,
        objective="val_accuracy",
        max_trials=2,
        seed=0,
        directory=str(tmp_path),
        constraints=Constraints(max_flops=1_000_000),
    )
    with pytest.warns(UserWarning, match="max_flops=1000000 cannot be checked"):
        tuner.search(x, y, validation_data=(x, y), epochs=1, verbose=0)
    trials = list(tuner.oracle.trials.values())
    assert len(trials) == 2
    assert all(t.status == TrialStatus.COMPLETED for t in trials)


def test_an_impossible_limit_names_the_options_of_the_space_searched(tmp_path, capsys):
    # The smallest candidate, one Dense layer of 16 units, has 64 * 16 + 16 + 16 * 10 + 10.
    tuner = keras_nas.EvolutionarySearch(
        MLPSpace(input_shape=(64,), num_classes=10, max_layers=1, units=(16, 32)),
        objective="val_accuracy",
        max_trials=3,
        seed=0,
        directory=str(tmp_path),
        constraints=Constraints(max_params=100),
    )
    x, y = np.zeros((4, 64), "float32"), np.zeros(4, "int32")
    tuner.search(x, y, validation_data=(x, y), epochs=1, verbose=0)

    assert tuner.oracle.trials == {}
    err = capsys.readouterr().err
    assert_mentions(
        err, "1,210 parameters, over max_params=100", "MLPSpace's `units=`", "`normalizations=`"
    )
    assert "MacroSpace" not in err


def test_a_latency_limit_that_latency_false_would_leave_unchecked_is_refused(tmp_path):
    with pytest.raises(ValueError, match="`latency=False` leaves `max_latency_ms` unchecked"):
        keras_nas.EvolutionarySearch(
            MLPSpace(input_shape=(64,), num_classes=10),
            objective="val_accuracy",
            max_trials=3,
            directory=str(tmp_path),
            constraints=Constraints(max_latency_ms=5),
            latency=False,
        )
