"""A search refuses a wrong count before it starts: `max_trials=0` searched forever, and
`max_trials="6"` failed deep inside KerasTuner with a `TypeError`."""

import os
import re

import numpy as np
import pytest

import keras_nas
from keras_nas.compat import set_project_directory
from keras_nas.oracles import RegularizedEvolutionOracle, ReinforceOracle
from keras_nas.search_spaces import MLPSpace
from tests.messages import assert_mentions
from tests.one_shot_search import one_stage_space


def _space():
    return MLPSpace(input_shape=(4,), num_classes=2, max_layers=1)


@pytest.mark.parametrize("search", [keras_nas.EvolutionarySearch, keras_nas.ReinforceSearch])
@pytest.mark.parametrize(("max_trials", "received"), [(0, "0"), ("6", "'6' (a str)")])
def test_max_trials_is_checked_before_the_search_starts(tmp_path, search, max_trials, received):
    with pytest.raises(ValueError) as error:
        search(
            _space(),
            objective="val_accuracy",
            max_trials=max_trials,
            directory=str(tmp_path),
            project_name="p",
        )
    assert_mentions(
        str(error.value),
        "`max_trials`",
        "positive integer",
        "or None to search",
        f"Received: max_trials={received}.",
    )
    assert not os.path.exists(tmp_path / "p")  # Nothing started.


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"max_consecutive_failed_trials": 0}, "max_consecutive_failed_trials=0"),
        ({"max_retries_per_trial": -1}, "max_retries_per_trial=-1"),
        ({"seed": 1.5}, "seed=1.5"),
        ({"tune_new_entries": "yes"}, "tune_new_entries='yes' (a str)"),
    ],
)
def test_every_count_of_an_oracle_is_checked(arguments, message):
    for oracle in (RegularizedEvolutionOracle, ReinforceOracle):
        with pytest.raises(ValueError, match=re.escape(f"Received: {message}.")):
            oracle(objective="val_accuracy", max_trials=3, **arguments)


@pytest.mark.parametrize(
    ("name", "value"), [("population_size", 0), ("sample_size", "2"), ("mutations", 1.0)]
)
def test_evolution_counts_are_checked(name, value):
    with pytest.raises(ValueError, match=f"`{name}` must be a positive integer"):
        keras_nas.EvolutionarySearch(_space(), max_trials=3, **{name: value})


def test_max_trials_none_is_accepted_and_recorded():
    oracle = RegularizedEvolutionOracle(objective="val_accuracy", max_trials=None)
    assert oracle.max_trials is None
    assert RegularizedEvolutionOracle(max_trials=np.int64(4)).max_trials == 4


@pytest.mark.parametrize(
    ("fit_arguments", "facts"),
    [
        ({"epochs": 0}, ("`epochs`", "positive integer", "Received: epochs=0.")),
        ({"epochs": "3"}, ("`epochs`", "Received: epochs='3' (a str).")),
        ({"batch_size": 0}, ("`batch_size`", "default of 32", "Received: batch_size=0.")),
        ({"validation_split": 1.5}, ("`validation_split`", "Received: validation_split=1.5.")),
        ({"verbose": 3}, ("`verbose`", "Received: verbose=3.")),
    ],
)
def test_search_arguments_are_checked_before_any_trial(tmp_path, fit_arguments, facts):
    tuner = keras_nas.EvolutionarySearch(
        _space(), objective="val_accuracy", max_trials=2, directory=str(tmp_path), project_name="p"
    )
    x, y = np.zeros((8, 4), "float32"), np.zeros(8, "int64")
    with pytest.raises(ValueError) as error:
        tuner.search(x, y, validation_data=(x, y), **fit_arguments)
    assert_mentions(str(error.value), *facts)
    assert tuner.oracle.trials == {}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"max_model_size": 0}, "max_model_size=0"),
        ({"executions_per_trial": 0}, "executions_per_trial=0"),
        ({"overwrite": "yes"}, "overwrite='yes' (a str)"),
    ],
)
def test_tuner_counts_are_checked(tmp_path, arguments, message):
    with pytest.raises(ValueError, match=re.escape(f"Received: {message}.")):
        keras_nas.EvolutionarySearch(_space(), max_trials=2, directory=str(tmp_path), **arguments)


def test_one_shot_counts_are_checked(tmp_path):
    space = one_stage_space(widths=(8,))
    with pytest.raises(ValueError, match="Received: max_trials=0"):
        keras_nas.OneShotSearch(space, max_trials=0, directory=str(tmp_path))
    with pytest.raises(ValueError, match="Received: supernet_learning_rate=0"):
        keras_nas.OneShotSearch(space, supernet_learning_rate=0, directory=str(tmp_path))
    tuner = keras_nas.OneShotSearch(space, max_trials=2, directory=str(tmp_path))
    x, y = np.zeros((8, 8, 8, 1), "float32"), np.zeros(8, "int64")
    with pytest.raises(ValueError, match="Received: epochs=0"):
        tuner.search(x, y, validation_data=(x, y), epochs=0)


def test_a_numpy_seed_is_saved_as_a_python_int(tmp_path):
    oracle = RegularizedEvolutionOracle(objective="val_accuracy", max_trials=2, seed=np.int64(3))
    set_project_directory(oracle, str(tmp_path), "p")
    oracle.save()  # A numpy integer is not JSON: this raised a TypeError.
    assert '"seed": 3' in (tmp_path / "p" / "oracle.json").read_text()


@pytest.mark.parametrize(("max_trials", "received"), [(0, "0"), ("6", "'6' (a str)")])
def test_the_max_trials_of_a_keras_tuner_oracle_is_checked_too(tmp_path, max_trials, received):
    import keras_tuner

    oracle = keras_tuner.oracles.RandomSearchOracle(objective="val_accuracy", max_trials=2)
    oracle.max_trials = max_trials  # KerasTuner accepts both; 0 searched forever.
    with pytest.raises(ValueError, match=re.escape(f"Received: max_trials={received}.")):
        keras_nas.NASTuner(_space(), oracle, directory=str(tmp_path), project_name="p")
    assert not os.path.exists(tmp_path / "p")


def test_cost_arguments_are_refused_before_the_project_is_touched(tmp_path):
    from keras_nas.objectives import Constraints

    project = tmp_path / "p"
    project.mkdir()
    (project / "keep.txt").write_text("a finished search")
    with pytest.raises(ValueError, match="latency=False"):
        keras_nas.EvolutionarySearch(
            _space(),
            max_trials=2,
            directory=str(tmp_path),
            project_name="p",
            overwrite=True,
            latency=False,
            constraints=Constraints(max_latency_ms=5),
        )
    assert (project / "keep.txt").exists()  # `overwrite=True` did not delete it first.


def test_verbose_auto_as_model_fit_takes_it_prints_a_line_per_trial(tmp_path, capsys):
    tuner = keras_nas.EvolutionarySearch(
        _space(), objective="val_accuracy", max_trials=1, directory=str(tmp_path), project_name="p"
    )
    x, y = np.zeros((8, 4), "float32"), np.zeros(8, "int64")
    tuner.search(x, y, validation_data=(x, y), epochs=1, verbose="auto")
    assert capsys.readouterr().out.startswith("[ 1/1] trial 0  val_accuracy ")
