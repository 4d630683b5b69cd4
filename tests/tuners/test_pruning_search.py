"""Early stopping of poor candidates in a real (tiny) search: epochs saved, same best."""

import json
import os

import keras
import keras_tuner
import pytest

from keras_nas import EvolutionarySearch
from keras_nas.datasets import load_digits
from keras_nas.estimation import STOPPED_EARLY, MedianStopping, SuccessiveHalving

EPOCHS = 5


def build(hp: keras_tuner.HyperParameters) -> keras.Model:
    """Half of the candidates are clearly worse: their learning rate is too small to learn."""
    model = keras.Sequential(
        [
            keras.Input((64,)),
            keras.layers.Dense(
                hp.Choice("units", [16, 64]), activation=hp.Choice("activation", ["relu", "tanh"])
            ),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    rate = {"trained": 1e-2, "stuck": 1e-6}[hp.Choice("training", ["trained", "stuck"])]
    model.compile(
        optimizer=keras.optimizers.Adam(rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def _search(directory, name, pruning):
    (x, y), (x_val, y_val) = load_digits()
    keras.utils.set_random_seed(0)
    tuner = EvolutionarySearch(
        build,
        objective="val_accuracy",
        max_trials=8,
        population_size=10,  # Larger than the budget: every candidate is a fresh random one.
        sample_size=10,
        seed=1,
        pruning=pruning,
        directory=str(directory),
        project_name=name,
    )
    tuner.search(
        x.reshape(-1, 64),
        y,
        validation_data=(x_val.reshape(-1, 64), y_val),
        epochs=EPOCHS,
        verbose=0,
    )
    return tuner


def _epochs(tuner):
    return {
        trial_id: len(trial.metrics.get_history("val_accuracy"))
        for trial_id, trial in tuner.oracle.trials.items()
    }


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    tuner = _search(tmp_path_factory.mktemp("plain"), "plain", pruning=None)
    assert sum(_epochs(tuner).values()) == 8 * EPOCHS
    return tuner


@pytest.mark.parametrize(
    "rule",
    [
        MedianStopping(min_epochs=1, min_trials=2),
        SuccessiveHalving(min_epochs=1, reduction_factor=2),
    ],
    ids=["median", "successive_halving"],
)
def test_pruning_cuts_epochs_by_a_third_and_finds_the_same_best(tmp_path, plain, rule):
    pruned = _search(tmp_path, "pruned", pruning=rule)
    assert sum(_epochs(pruned).values()) <= 0.7 * 8 * EPOCHS, _epochs(pruned)
    assert pruned.get_best_hyperparameters()[0].values == plain.get_best_hyperparameters()[0].values
    # The same candidates in the same order: the oracle's choices do not depend on the scores.
    assert [t.hyperparameters.values for t in pruned.oracle.trials.values()] == [
        t.hyperparameters.values for t in plain.oracle.trials.values()
    ]
    stopped = [
        t for t in pruned.oracle.trials.values() if (t.message or "").startswith(STOPPED_EARLY)
    ]
    assert stopped and all(_epochs(pruned)[t.trial_id] < EPOCHS for t in stopped)
    # Every clearly worse candidate after the first two stopped after its first epoch. (Some
    # good ones below the median or outside the best half are stopped too: that is the rule.)
    for trial_id, trial in list(pruned.oracle.trials.items())[2:]:
        if trial.hyperparameters.values["training"] == "stuck":
            assert _epochs(pruned)[trial_id] == 1
    for trial in stopped:  # The record on disk says so too, and keeps the partial score.
        path = os.path.join(pruned.project_dir, f"trial_{trial.trial_id}", "trial.json")
        record = json.load(open(path))
        assert record["status"] == "COMPLETED" and record["message"].startswith(STOPPED_EARLY)
        assert record["score"] == pytest.approx(
            max(o.mean() for o in trial.metrics.get_history("val_accuracy"))
        )
