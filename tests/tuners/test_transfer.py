"""A search on a proxy task, then `transfer` of its best architectures to the full setting."""

import io
import json
import math
import os
import shutil

import keras
import keras_tuner
import numpy as np
import pytest

from keras_nas import EvolutionarySearch, NASTuner
from keras_nas.datasets import load_digits
from keras_nas.estimation import ProxyTask
from keras_nas.oracles import RegularizedEvolutionOracle
from keras_nas.report import format_report, load_report
from keras_nas.search_spaces import MacroSpace

TASK = ProxyTask(data_fraction=0.25, image_size=4, epochs=1, seed=0)


def _space():
    return MacroSpace(
        input_shape=(8, 8, 1),
        num_classes=10,
        num_stages=2,
        block_types=("conv",),
        kernels=(3, 5),
        widths=(8,),
        depths=(1,),
        stem_width=8,
    )


class Seen(keras.callbacks.Callback):
    """Records the input shape and the steps of each training (in a list that KerasTuner's
    copies of the callback for each trial share)."""

    def __init__(self, stop_at: int | None = None):
        super().__init__()
        self.trainings, self.stop_at = [], stop_at

    def __deepcopy__(self, memo):
        return self

    def on_train_begin(self, logs=None):
        if self.stop_at is not None and len(self.trainings) == self.stop_at:
            raise KeyboardInterrupt  # A kill, mid-transfer.
        self.trainings.append((self.model.input_shape, self.params["steps"], self.params["epochs"]))


@pytest.fixture(scope="module")
def digits():
    (x, y), (x_val, y_val) = load_digits()
    return (x[:400], y[:400]), (x_val[:100], y_val[:100])


@pytest.fixture(scope="module")
def searched(digits, tmp_path_factory):
    """A finished 3-trial search on the proxy task; tests copy its folder."""
    (x, y), validation = digits
    directory = str(tmp_path_factory.mktemp("proxy_search"))
    seen = Seen()
    tuner = EvolutionarySearch(
        _space(),
        objective="val_accuracy",
        max_trials=3,
        seed=0,
        directory=directory,
        project_name="search",
        estimation=TASK,
        progress_out=io.StringIO(),
    )
    # batch_size 20 and epochs 7 given by position, as `model.fit` takes them.
    tuner.search(x, y, 20, 7, validation_data=validation, callbacks=[seen])
    return directory, seen


def _reloaded(searched, tmp_path):
    directory = str(tmp_path / "copy")
    shutil.copytree(searched[0], directory)
    return EvolutionarySearch(
        _space(),
        objective="val_accuracy",
        max_trials=3,
        seed=0,
        directory=directory,
        project_name="search",
        estimation=TASK,
        overwrite=False,
        progress_out=None,
    )


def test_each_trial_trains_on_the_reduced_setting(searched):
    directory, seen = searched
    # 100 of 400 examples (stratified: 10 digits of about 40), batches of 20, 4x4 images,
    # the task's 1 epoch instead of 7.
    assert seen.trainings == [((None, 4, 4, 1), math.ceil(100 / 20), 1)] * 3
    with open(os.path.join(directory, "search", "search.json")) as file:
        record = json.load(file)
    assert record["estimation"]["ProxyTask"]["data_fraction"] == 0.25
    assert record["space_config"]["input_shape"] == [4, 4, 1]


def test_transfer_trains_the_best_on_the_full_setting(searched, digits, tmp_path, capsys):
    tuner = _reloaded(searched, tmp_path)
    (x, y), validation = digits
    seen = Seen()
    result = tuner.transfer(
        x, y, validation_data=validation, top_k=2, epochs=1, batch_size=50, callbacks=[seen]
    )
    assert seen.trainings == [((None, 8, 8, 1), 8, 1)] * 2
    best_two = [trial.trial_id for trial in tuner.oracle.get_best_trials(2)]
    assert sorted(item.trial_id for item in result.architectures) == sorted(best_two)
    for item in result.architectures:
        trial = tuner.oracle.get_trial(item.trial_id)
        assert item.proxy_score == pytest.approx(trial.metrics.get_best_value("val_accuracy"))
        assert 0 <= item.full_score <= 1 and item.message is None
        model = keras.saving.load_model(
            os.path.join(tuner.project_dir, "transfer", f"trial_{item.trial_id}.keras")
        )
        assert model.input_shape == (None, 8, 8, 1)
    scores = [item.full_score for item in result.architectures]
    assert scores == sorted(scores, reverse=True) and result.best is result.architectures[0]
    assert "[transfer 2/2] trial" in capsys.readouterr().out
    text = format_report(load_report(tuner.project_dir))
    assert "Trials trained on a proxy task: data_fraction=0.25, image_size=[4, 4], epochs=1" in text
    assert "Transfer to the full setting (val_accuracy): rank correlation -" in text


def test_a_killed_transfer_resumes_without_retraining(searched, digits, tmp_path, capsys):
    tuner = _reloaded(searched, tmp_path)
    (x, y), validation = digits
    fit = {"validation_data": validation, "top_k": 3, "epochs": 1, "batch_size": 50}
    with pytest.raises(KeyboardInterrupt):
        tuner.transfer(x, y, callbacks=[Seen(stop_at=1)], **fit)
    with open(os.path.join(tuner.project_dir, "transfer.json")) as file:
        assert len(json.load(file)["architectures"]) == 1
    seen = Seen()
    result = tuner.transfer(x, y, callbacks=[seen], **fit)
    assert len(seen.trainings) == 2 and len(result.architectures) == 3
    assert "(recorded before)" in capsys.readouterr().out
    assert result.rank_correlation is not None and -1 <= result.rank_correlation <= 1


def test_other_settings_are_refused_unless_overwritten(searched, digits, tmp_path):
    tuner = _reloaded(searched, tmp_path)
    (x, y), validation = digits
    tuner.transfer(x, y, validation_data=validation, top_k=1, epochs=np.int64(1), verbose=0)
    with pytest.raises(ValueError, match=r"other settings .*'epochs': \(1, 2\).*overwrite=True"):
        tuner.transfer(x, y, validation_data=validation, top_k=1, epochs=2, verbose=0)
    seen = Seen()
    tuner.transfer(
        x,
        y,
        validation_data=validation,
        top_k=1,
        epochs=2,
        verbose=0,
        overwrite=True,
        callbacks=[seen],
    )
    assert len(seen.trainings) == 1


def test_a_resumed_search_on_another_proxy_task_is_refused(searched, digits, tmp_path):
    directory = str(tmp_path / "copy")
    shutil.copytree(searched[0], directory)
    tuner = EvolutionarySearch(
        _space(),
        objective="val_accuracy",
        max_trials=3,
        directory=directory,
        project_name="search",
        estimation=ProxyTask(data_fraction=0.5, image_size=4, epochs=1),
        overwrite=False,
    )
    (x, y), validation = digits
    with pytest.raises(ValueError, match=r"3 trials trained with estimation=.*overwrite=True"):
        tuner.search(x, y, validation_data=validation)


def test_a_malformed_record_is_named_not_resumed(searched, digits, tmp_path):
    tuner = _reloaded(searched, tmp_path)
    (x, y), validation = digits
    path = os.path.join(tuner.project_dir, "transfer.json")
    with open(path, "w") as file:
        json.dump({"settings": {}, "architectures": [{"trial": 1}]}, file)
    with pytest.raises(ValueError, match="is not a transfer record .*overwrite=True"):
        tuner.transfer(x, y, validation_data=validation, top_k=1, epochs=1)
    report = load_report(tuner.project_dir)
    assert report.transfer["architectures"] == []
    assert "transfer.json: 1 architectures without a trial id and scores" in report.skipped


def test_transfer_checks_before_training(searched, digits, tmp_path):
    tuner = _reloaded(searched, tmp_path)
    (x, y), validation = digits
    with pytest.raises(ValueError, match="needs validation data"):
        tuner.transfer(x, y, top_k=1, epochs=1)
    with pytest.raises(ValueError, match="Spaces that support it"):
        tuner.transfer(x, y, validation_data=validation, width_multiplier=2)
    with pytest.raises(ValueError, match="`top_k` must be a positive integer"):
        tuner.transfer(x, y, validation_data=validation, top_k=0)
    with pytest.raises(ValueError, match="`epochs` must be a positive integer"):
        tuner.transfer(x, y, validation_data=validation, epochs=0)
    assert not os.path.exists(os.path.join(tuner.project_dir, "transfer.json"))


def test_a_failing_architecture_is_recorded_not_raised(digits, tmp_path):
    (x, y), validation = digits
    fail = {"now": False}

    def build(hp):
        units = hp.Choice("units", [4, 8, 16])
        if fail["now"] or units == 16:
            raise RuntimeError("no memory for this one")
        model = keras.Sequential(
            [
                keras.Input((8, 8, 1)),
                keras.layers.Flatten(),
                keras.layers.Dense(units),
                keras.layers.Dense(10, activation="softmax"),
            ]
        )
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        return model

    oracle = RegularizedEvolutionOracle(objective="val_accuracy", max_trials=3, seed=0)
    tuner = NASTuner(
        build,
        oracle,
        directory=str(tmp_path),
        estimation=ProxyTask(data_fraction=0.5, epochs=1),
        progress_out=None,
    )
    tuner.search(x, y, validation_data=validation, verbose=0)
    statuses = sorted(trial.status for trial in tuner.oracle.trials.values())
    assert statuses == ["COMPLETED", "COMPLETED", "FAILED"]
    fail["now"] = True
    result = tuner.transfer(x, y, validation_data=validation, top_k=3, verbose=0)
    # The failed trial is not transferred; the two that fail now are recorded.
    assert [item.full_score for item in result.architectures] == [None, None]
    assert result.best is None
    assert result.architectures[0].message == "RuntimeError: no memory for this one"


def test_no_completed_trial_is_refused(digits, tmp_path):
    (x, y), validation = digits
    tuner = EvolutionarySearch(
        _space(), objective="val_accuracy", directory=str(tmp_path), estimation=TASK
    )
    with pytest.raises(
        ValueError, match=r"no completed trial with a score yet. Run `tuner.search\(...\)`"
    ):
        tuner.transfer(x, y, validation_data=validation)


def test_a_cost_objective_alone_cannot_rank_a_transfer(digits, tmp_path):
    (x, y), validation = digits
    tuner = EvolutionarySearch(
        _space(),
        objective=keras_tuner.Objective("params", "min"),
        directory=str(tmp_path),
        estimation=TASK,
    )
    with pytest.raises(ValueError, match=r"none of the search's objectives is one: \['params'\]"):
        tuner.transfer(x, y, validation_data=validation)


def test_supernet_searches_refuse_a_proxy_task(tmp_path):
    from keras_nas import OneShotSearch

    with pytest.raises(ValueError, match="OneShotSearch trains one supernet"):
        OneShotSearch(_space(), objective="val_accuracy", directory=str(tmp_path), estimation=TASK)


def test_estimation_must_be_a_proxy_task(tmp_path):
    with pytest.raises(ValueError, match="`estimation` must be a `keras_nas.estimation.ProxyTask`"):
        EvolutionarySearch(
            _space(),
            objective="val_accuracy",
            directory=str(tmp_path),
            estimation={"data_fraction": 0.5},
        )


def test_stratified_subset_of_the_search_matches_the_task(digits):
    (_, y), _ = digits
    (_, y_small), _ = TASK.reduce_data(np.zeros((len(y), 8, 8, 1)), y)
    assert len(y_small) == 100
