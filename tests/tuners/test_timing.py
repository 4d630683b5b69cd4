"""Issue 9: a trial's time split into build, fit and bookkeeping; one write of each state file
per trial; the best weights written once; no model built when the tuner is made."""

import json
import time

import keras
import keras_tuner
import numpy as np
import pytest

import keras_nas
from keras_nas import timing
from keras_nas.datasets import load_digits
from keras_nas.oracles import state_files
from keras_nas.search_spaces import (
    MacroSpace,
    MLPSpace,
    MobileNetSpace,
    NASBench201Space,
    NASNetCellSpace,
)
from keras_nas.timing import TIMING_METRICS, TrialClock, trial_timing
from keras_nas.tuners import best_weights, nas_tuner, records
from keras_nas.tuners.best_weights import KeepBestWeights, read_best_weights

TRIALS = 3


@pytest.fixture(scope="module")
def digits():
    (x, y), (x_val, y_val) = load_digits()
    return x.reshape(-1, 64)[:400], y[:400], x_val.reshape(-1, 64), y_val


def _search(directory, digits, **kwargs):
    x, y, x_val, y_val = digits
    tuner = keras_nas.EvolutionarySearch(
        MLPSpace(input_shape=(64,), num_classes=10, max_layers=1, units=(8, 16, 32)),
        objective="val_accuracy",
        max_trials=TRIALS,
        population_size=TRIALS,
        sample_size=1,
        seed=0,
        directory=str(directory),
        project_name="timed",
        **kwargs,
    )
    tuner.search(x, y, validation_data=(x_val, y_val), epochs=2, verbose=0)
    return tuner


def test_the_clock_splits_a_trial_into_its_parts(monkeypatch):
    now = iter([0.0, 1.0, 3.0, 3.5, 10.0, 10.5, 10.75, 12.0])
    monkeypatch.setattr(timing.time, "perf_counter", lambda: next(now))
    clock = TrialClock()  # 0.0
    with clock.part("build"):  # 1.0 to 3.0
        pass
    with clock.part("fit"):  # 3.5 to 10.75, of which 10.0 to 10.5 reports an epoch
        with clock.bookkeeping():
            pass
    assert clock.metrics() == {  # at 12.0
        "build_seconds": 2.0,
        "fit_seconds": 6.75,
        "bookkeeping_seconds": 3.25,
    }


def test_every_trial_records_its_timing_and_the_parts_fit_in_the_search(tmp_path, digits):
    start = time.perf_counter()
    tuner = _search(tmp_path, digits)
    elapsed = time.perf_counter() - start
    timings = [trial_timing(trial) for trial in tuner.oracle.trials.values()]
    assert len(timings) == TRIALS and all(timings)
    for one in timings:
        assert set(one) == {"build", "fit", "bookkeeping"}
        assert all(value > 0 for value in one.values())
        assert one["fit"] > one["bookkeeping"]
    assert sum(sum(one.values()) for one in timings) < elapsed
    # The record on disk holds them too, as one-step metrics.
    record = json.loads((tmp_path / "timed" / "trial_0" / "trial.json").read_text())
    for name in TIMING_METRICS.values():
        assert len(record["metrics"]["metrics"][name]["observations"]) == 1


def test_a_trial_without_timing_has_none():
    trial = keras_tuner.engine.trial.Trial(keras_tuner.HyperParameters(), trial_id="0")
    assert trial_timing(trial) is None


def _trial(**metrics):
    trial = keras_tuner.engine.trial.Trial(keras_tuner.HyperParameters(), trial_id="0")
    for name, values in metrics.items():
        for step, value in enumerate(values):
            trial.metrics.update(name, value, step=step)
    return trial


def test_a_trials_seconds_are_the_sum_of_its_recorded_parts():
    parts = {"build_seconds": [0.25], "fit_seconds": [19.25], "bookkeeping_seconds": [0.125]}
    assert timing.trial_seconds(_trial(seconds=[9.5, 18.5], **parts)) == 19.625
    assert timing.total_seconds({"build": 0.25, "fit": 19.25, "bookkeeping": 0.125}) == 19.625


def test_a_trial_without_its_parts_has_its_last_epoch_seconds_or_none():
    assert timing.trial_seconds(_trial(seconds=[9.5, 18.5])) == 18.5
    assert timing.trial_seconds(_trial(fit_seconds=[19.25], seconds=[18.5])) == 18.5
    assert timing.trial_seconds(_trial()) is None
    assert timing.total_seconds(None, 18.5) == 18.5
    assert timing.total_seconds(None) is None


def test_every_trial_of_a_search_has_its_clock_total_as_its_seconds(tmp_path, digits):
    tuner = _search(tmp_path, digits)
    for trial in tuner.oracle.trials.values():
        assert timing.trial_seconds(trial) == sum(trial_timing(trial).values())
        # The last epoch report comes before the end of the trial, which the clock includes.
        assert trial.metrics.get_last_value("seconds") < timing.trial_seconds(trial)


def test_each_state_file_is_written_once_per_trial(tmp_path, digits, monkeypatch):
    written = []
    for module in (state_files, nas_tuner, records):
        write = module.write_json_atomically

        def counting(path, state, write=write):
            written.append(str(path).split("/timed/")[-1])
            write(path, state)

        monkeypatch.setattr(module, "write_json_atomically", counting)
    _search(tmp_path, digits)
    per_trial = [f"trial_{index}/trial.json" for index in range(TRIALS)]
    assert sorted(name for name in written if name.endswith("trial.json")) == per_trial
    assert written.count("oracle.json") == TRIALS
    assert written.count("tuner0.json") == 1
    assert written.count("search.json") == 1
    # The trial's record goes before oracle.json, the commit point.
    for index in range(TRIALS):
        assert written.index(f"trial_{index}/trial.json") < _nth(written, "oracle.json", index)


def _nth(items, item, n):
    return [i for i, one in enumerate(items) if one == item][n]


def test_the_best_weights_are_written_once_and_load_as_the_best_model(
    tmp_path, digits, monkeypatch
):
    saved = []
    write = best_weights.write_npz_atomically

    def counting(path, arrays):
        saved.append(str(path).split("/timed/")[-1])
        write(path, arrays)

    monkeypatch.setattr(best_weights, "write_npz_atomically", counting)
    monkeypatch.setattr(keras.Model, "save_weights", None)  # No Keras checkpoint at all.
    tuner = _search(tmp_path, digits)
    assert saved == [f"trial_{index}/best_weights.npz" for index in range(TRIALS)]
    _, _, x_val, y_val = digits
    best = tuner.oracle.get_best_trials(1)[0]
    model = tuner.get_best_models(1)[0]
    accuracy = model.evaluate(x_val, y_val, verbose=0, return_dict=True)["accuracy"]
    assert accuracy == pytest.approx(best.score, abs=1e-6)


def _dense():
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    return model


def _train(keep, model, val_losses, first_value):
    """Epochs whose "training" sets every weight to first_value, first_value + 1, ..."""
    keep.set_model(model)
    for epoch, val_loss in enumerate(val_losses):
        keep.on_epoch_begin(epoch)
        model.set_weights([np.full_like(w, first_value + epoch) for w in model.get_weights()])
        keep.on_epoch_end(epoch, {"val_loss": val_loss})


def _written(tmp_path, keep, model):
    path = str(tmp_path / "best_weights.npz")
    assert keep.write(model, path)
    return [w.tolist() for w in read_best_weights(path)]


@pytest.mark.parametrize(("val_losses", "best"), [([3.0, 1.0, 2.0], 2.0), ([3.0, 2.0, 1.0], 3.0)])
def test_keep_best_weights_writes_the_best_epochs_weights(tmp_path, val_losses, best):
    keep, model = KeepBestWeights(keras_tuner.Objective("val_loss", "min")), _dense()
    _train(keep, model, val_losses, first_value=1.0)
    assert _written(tmp_path, keep, model) == [[[best]], [best]]


def test_keep_best_weights_keeps_an_earlier_executions_best(tmp_path):
    keep = KeepBestWeights(keras_tuner.Objective("val_loss", "min"))
    _train(keep, _dense(), [2.0, 1.0], first_value=1.0)  # Best: 2.0, from the first model.
    last = _dense()
    _train(keep, last, [4.0, 3.0], first_value=10.0)
    assert _written(tmp_path, keep, last) == [[[2.0]], [2.0]]


def test_keep_best_weights_without_an_epoch_writes_nothing(tmp_path):
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    keep = KeepBestWeights(keras_tuner.Objective("val_loss", "min"))
    assert not keep.write(model, str(tmp_path / "best_weights.npz"))
    assert not (tmp_path / "best_weights.npz").exists()


SPACES = [
    MLPSpace(input_shape=(64,), num_classes=10),
    MacroSpace(input_shape=(8, 8, 1), num_classes=10),
    MobileNetSpace(input_shape=(8, 8, 1), num_classes=10),
    NASBench201Space(input_shape=(8, 8, 1), num_classes=10),
    NASNetCellSpace(input_shape=(8, 8, 1), num_classes=10),
]


def _declared(tuner):
    space = tuner.oracle.get_space()
    return sorted(
        (hp.name, type(hp).__name__, json.dumps(hp.get_config(), sort_keys=True, default=str))
        for hp in space.space
    )


@pytest.mark.parametrize("space", SPACES, ids=lambda space: type(space).__name__)
def test_the_tuner_builds_no_model_when_made_and_knows_the_whole_space(tmp_path, space):
    builds = []  # KerasTuner wraps each hypermodel's `build`; every build makes the features.
    original = type(space).build_features

    def counting(self, arch, inputs):
        builds.append(1)
        return original(self, arch, inputs)

    type(space).build_features = counting
    try:
        ours = keras_nas.EvolutionarySearch(
            space, objective="val_accuracy", max_trials=1, directory=str(tmp_path / "a")
        )
        assert builds == []
        # KerasTuner's own discovery builds models, and finds the same hyperparameters.
        theirs = keras_tuner.Tuner(
            hypermodel=space,
            oracle=keras_tuner.oracles.RandomSearchOracle(objective="val_accuracy", max_trials=1),
            directory=str(tmp_path / "b"),
        )
        assert builds
    finally:
        type(space).build_features = original
    assert _declared(ours) == _declared(theirs)
