"""End-to-end searches on digits: `tuner.search` is called exactly as `model.fit` is."""

import io

import keras
import keras_tuner
import pytest

from keras_nas import EvolutionarySearch, NASTuner, ReinforceSearch
from keras_nas.datasets import load_digits
from keras_nas.oracles import RegularizedEvolutionOracle
from keras_nas.search_spaces import MacroSpace, NASBench201Space

SEARCHES = [EvolutionarySearch, ReinforceSearch]


@pytest.fixture(scope="module")
def digits():
    return load_digits()


def _small_space():
    return MacroSpace(
        input_shape=(8, 8, 1),
        num_classes=10,
        num_stages=2,
        widths=(8, 16),
        depths=(1,),
        block_types=("conv", "separable"),
    )


@pytest.mark.parametrize("search_class", SEARCHES)
def test_search_with_a_keras_nas_space(search_class, digits, tmp_path):
    (x, y), (x_val, y_val) = digits
    out = io.StringIO()
    tuner = search_class(
        _small_space(),
        objective="val_accuracy",
        max_trials=3,
        seed=1,
        directory=str(tmp_path),
        project_name="p",
        progress_out=out,
    )
    tuner.search(
        x,
        y,
        validation_data=(x_val, y_val),
        epochs=1,
        batch_size=64,
        callbacks=[keras.callbacks.EarlyStopping(patience=1)],
    )
    trials = tuner.oracle.trials.values()
    assert len(trials) == 3
    assert all(trial.status == "COMPLETED" and 0 <= trial.score <= 1 for trial in trials)
    assert len({str(sorted(t.hyperparameters.values.items())) for t in trials}) == 3
    lines = out.getvalue().splitlines()
    assert len(lines) == 3 and lines[-1].startswith("[ 3/3] trial 2  val_accuracy ")
    assert tuner.get_best_models(1)[0].output_shape == (None, 10)


@pytest.mark.parametrize("search_class", SEARCHES)
def test_search_with_a_user_build_function(search_class, digits, tmp_path):
    (x, y), (x_val, y_val) = digits

    def build(hp):
        model = keras.Sequential(
            [
                keras.Input((8, 8, 1)),
                keras.layers.Flatten(),
                keras.layers.Dense(hp.Choice("units", [8, 16, 32]), activation="relu"),
                keras.layers.Dense(10, activation="softmax"),
            ]
        )
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        return model

    tuner = search_class(
        build,
        objective="val_accuracy",
        max_trials=3,
        seed=2,
        directory=str(tmp_path),
        project_name="p",
    )
    tuner.search(x, y, validation_data=(x_val, y_val), epochs=1, verbose=0)
    units = sorted(t.hyperparameters.values["units"] for t in tuner.oracle.trials.values())
    assert units == [8, 16, 32]


def test_verbose_zero_prints_nothing(digits, tmp_path, capsys):
    (x, y), (x_val, y_val) = digits
    tuner = EvolutionarySearch(
        _small_space(), objective="val_accuracy", max_trials=1, directory=str(tmp_path)
    )
    tuner.search(x, y, validation_data=(x_val, y_val), epochs=1, verbose=0)
    assert capsys.readouterr().out == ""


def test_nas_tuner_gives_the_oracle_the_space_canonical_key(tmp_path):
    space = NASBench201Space(input_shape=(8, 8, 1), num_classes=10, cells_per_stage=1, channels=4)
    oracle = RegularizedEvolutionOracle(objective="val_accuracy", max_trials=1)
    NASTuner(space, oracle, directory=str(tmp_path))
    assert oracle.canonical_key == space.canonical_key


def test_nas_tuner_keeps_a_user_canonical_key(tmp_path):
    def key(values):
        return "same"

    oracle = RegularizedEvolutionOracle(objective="val_accuracy", max_trials=1, canonical_key=key)
    NASTuner(_small_space(), oracle, directory=str(tmp_path))
    assert oracle.canonical_key is key


def test_search_resumes_without_repeating_trials(digits, tmp_path):
    (x, y), (x_val, y_val) = digits

    def search(max_trials, overwrite):
        tuner = EvolutionarySearch(
            _small_space(),
            objective="val_accuracy",
            max_trials=max_trials,
            population_size=2,
            sample_size=1,
            seed=3,
            directory=str(tmp_path),
            project_name="p",
            overwrite=overwrite,
        )
        tuner.search(x, y, validation_data=(x_val, y_val), epochs=1, verbose=0)
        return tuner

    first = search(2, overwrite=True)
    scores = {tid: t.score for tid, t in first.oracle.trials.items()}
    resumed = search(4, overwrite=False)
    trials = resumed.oracle.trials
    assert len(trials) == 4
    assert {tid: trials[tid].score for tid in scores} == scores
    assert len({str(sorted(t.hyperparameters.values.items())) for t in trials.values()}) == 4


def test_random_search_oracle_also_works_in_nas_tuner(digits, tmp_path):
    (x, y), (x_val, y_val) = digits
    oracle = keras_tuner.oracles.RandomSearchOracle(objective="val_accuracy", max_trials=1)
    tuner = NASTuner(_small_space(), oracle, directory=str(tmp_path))
    tuner.search(x, y, validation_data=(x_val, y_val), epochs=1, verbose=0)
    assert len(tuner.oracle.trials) == 1
