"""A tight constraint on a real space: the search still runs every trial, each within the
limit, and a limit below the space's smallest candidate ends it with that candidate's cost."""

import pytest
from keras_tuner.engine.trial import TrialStatus

import keras_nas
from keras_nas.datasets import load_digits
from keras_nas.objectives import Constraints
from keras_nas.search_spaces import MacroSpace


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
    assert "the search ends after 0 trials. None can be: the smallest candidate" in err
    assert "breaks the constraint: 2,634 parameters, over max_params=2,000" in err
    assert "stage_1/block='separable'" in err and "stage_3/width=16" in err
