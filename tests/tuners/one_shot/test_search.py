"""`OneShotSearch` end to end on digits: supernet, trials without training, retrain, resume."""

import io
import json
import os
import pathlib

import keras
import numpy as np
import pytest

from keras_nas import OneShotSearch
from keras_nas.datasets import load_digits
from keras_nas.files import SUB_NETWORK_WEIGHTS
from keras_nas.search_spaces import MacroSpace, MobileNetSpace, NASBench201Space, NASNetCellSpace
from keras_nas.timing import trial_timing
from keras_nas.tuners.nas_tuner import SHARED_WEIGHTS_DIR
from keras_nas.tuners.one_shot import PathSampler
from keras_nas.tuners.one_shot import search as one_shot_search
from keras_nas.tuners.one_shot.search import SUPERNET_STATE_FILE, _build_training_state
from keras_nas.tuners.supernet_search import RETRAIN_FILE
from tests.messages import raises_mentioning


@pytest.fixture(scope="module")
def digits():
    return load_digits()


def _space():
    # Two operations keep the supernet small and quick to trace.
    return NASBench201Space(
        input_shape=(8, 8, 1),
        num_classes=10,
        channels=4,
        cells_per_stage=1,
        operations=("skip_connect", "nor_conv_3x3"),
    )


def _one_block_space():
    # One stage of one convolution at two widths: the quickest supernet to trace, for tests of
    # how the supernet is trained rather than of what it holds.
    return MacroSpace(
        input_shape=(8, 8, 1),
        num_classes=10,
        num_stages=1,
        block_types=("conv",),
        kernels=(3,),
        widths=(4, 8),
        depths=(1,),
    )


def _tuner(directory, max_trials, overwrite=True):
    return OneShotSearch(
        _space(),
        max_trials=max_trials,
        supernet_epochs=2,
        calibration_batches=3,
        seed=0,
        directory=str(directory),
        project_name="one_shot",
        overwrite=overwrite,
        progress_out=io.StringIO(),
    )


@pytest.fixture(scope="module")
def searched(tmp_path_factory, digits):
    (x, y), validation = digits
    directory = tmp_path_factory.mktemp("one_shot")
    tuner = _tuner(directory, max_trials=4)
    tuner.search(x, y, validation_data=validation, batch_size=64, verbose=0)
    return tuner, directory


def test_trials_are_scored_without_training(searched):
    tuner, _ = searched
    trials = list(tuner.oracle.trials.values())
    assert len(trials) == 4
    assert all(0.0 <= trial.score <= 1.0 for trial in trials)
    assert tuner.supernet_epochs_trained() == 2
    # Making the sub-network is its build, scoring it its fit (keras_nas.timing).
    assert all(
        trial_timing(trial)["build"] > 0 and trial_timing(trial)["fit"] > 0 for trial in trials
    )
    with open(os.path.join(tuner.project_dir, SUPERNET_STATE_FILE)) as file:
        assert json.load(file) == {"epochs_trained": 2}


def test_each_trial_keeps_its_sub_network_weights_as_npz(searched):
    tuner, _ = searched
    for trial in tuner.oracle.trials.values():
        path = os.path.join(tuner.get_trial_dir(trial.trial_id), SUB_NETWORK_WEIGHTS)
        with np.load(path, allow_pickle=False) as arrays:
            saved = [arrays[name] for name in sorted(arrays.files)]
        loaded = tuner.load_model(trial).get_weights()
        assert [array.shape for array in saved] == [array.shape for array in loaded]
        assert all(np.array_equal(a, b) for a, b in zip(saved, loaded, strict=True))


def test_a_trial_scored_by_an_earlier_version_loads_from_its_keras_weights_file(searched):
    tuner, _ = searched
    trial = tuner.oracle.get_best_trials(1)[0]
    expected = tuner.load_model(trial)
    directory = tuner.get_trial_dir(trial.trial_id)
    legacy = os.path.join(directory, "sub_network.weights.h5")
    expected.save_weights(legacy)
    os.replace(os.path.join(directory, SUB_NETWORK_WEIGHTS), legacy + ".npz")
    try:
        loaded = tuner.load_model(trial).get_weights()
    finally:
        os.replace(legacy + ".npz", os.path.join(directory, SUB_NETWORK_WEIGHTS))
        os.remove(legacy)
    assert all(np.array_equal(a, b) for a, b in zip(loaded, expected.get_weights(), strict=True))


def test_the_best_model_is_a_plain_keras_model_with_the_scored_weights(searched, digits, tmp_path):
    tuner, _ = searched
    (_, _), (x_val, y_val) = digits
    best_trial = tuner.oracle.get_best_trials(1)[0]
    model = tuner.get_best_models(1)[0]
    accuracy = model.evaluate(x_val, y_val, verbose=0, return_dict=True)["accuracy"]
    assert accuracy == pytest.approx(best_trial.score, abs=1e-6)
    path = str(tmp_path / "best.keras")
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert "PathChoice" not in {type(layer).__name__ for layer in loaded.layers}
    np.testing.assert_allclose(loaded.predict(x_val, verbose=0), model.predict(x_val, verbose=0))


def test_retrain_trains_the_top_candidates_from_scratch(searched):
    tuner, _ = searched
    results = tuner.retrain(top_k=2, epochs=1, verbose=0)
    best = tuner.oracle.get_best_trials(2)
    assert [result["trial_id"] for result in results] == [trial.trial_id for trial in best]
    assert [result["one_shot"] for result in results] == [trial.score for trial in best]
    assert all(0.0 <= result["stand_alone"] <= 1.0 for result in results)
    with open(os.path.join(tuner.project_dir, RETRAIN_FILE)) as file:
        assert json.load(file) == results
    # Seeded by the tuner's seed and the trial id: the best candidate trains alone to the
    # same accuracy (unseeded, two 2-epoch trainings of one cell of this space reached 0.73
    # and 0.84).
    assert tuner.retrain(top_k=1, epochs=1, verbose=0) == results[:1]


@pytest.mark.parametrize(
    "arguments, facts",
    [
        ({"top_k": -1}, ("`top_k`", "positive integer", "Received: top_k=-1")),
        ({"top_k": 0}, ("`top_k`", "positive integer", "Received: top_k=0")),
        ({"epochs": 2.5}, ("`epochs`", "positive integer", "Received: epochs=2.5")),
    ],
)
def test_retrain_names_a_bad_count_before_training(searched, arguments, facts):
    tuner, _ = searched
    retrain_file = pathlib.Path(tuner.project_dir) / RETRAIN_FILE

    def written():  # What `retrain` last wrote, if any test retrained already.
        return retrain_file.read_text() if retrain_file.exists() else None

    before = written()
    with raises_mentioning(ValueError, *facts):
        tuner.retrain(**arguments, verbose=0)
    assert written() == before


def test_a_resumed_search_does_not_retrain_the_supernet(searched, digits, capsys):
    tuner, directory = searched
    (x, y), validation = digits
    weights_dir = os.path.join(tuner.project_dir, SHARED_WEIGHTS_DIR)
    stamps = {
        name: os.stat(os.path.join(weights_dir, name)).st_mtime_ns
        for name in os.listdir(weights_dir)
    }
    resumed = _tuner(directory, max_trials=6, overwrite=False)
    resumed.search(x, y, validation_data=validation, batch_size=64, verbose=1)
    assert "Supernet already trained for 2 epochs" in capsys.readouterr().out
    assert len(resumed.oracle.trials) == 6
    assert {
        name: os.stat(os.path.join(weights_dir, name)).st_mtime_ns
        for name in os.listdir(weights_dir)
    } == stamps


class _RecordLearningRate(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.rates = []

    def on_epoch_begin(self, epoch, logs=None):
        self.rates.append(float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)))


@pytest.mark.parametrize(
    "schedule, expected",
    [("constant", [0.01] * 4), ("cosine", [0.01, 0.008535534, 0.005, 0.001464466])],
)
def test_the_supernet_schedule_continues_where_a_resumed_supernet_stopped(
    tmp_path, digits, schedule, expected
):
    (x, y), _ = digits

    def train(epochs):
        tuner = OneShotSearch(
            _one_block_space(),
            supernet_epochs=4,
            supernet_learning_rate=0.01,
            supernet_schedule=schedule,
            seed=0,
            directory=str(tmp_path),
            progress_out=io.StringIO(),
        )
        recorder = _RecordLearningRate()
        tuner.train_supernet(
            x[:64], y[:64], epochs=epochs, batch_size=64, callbacks=[recorder], verbose=0
        )
        return recorder.rates

    rates = train(2) + train(None)  # Stopped after 2 of 4 epochs, then resumed.
    assert rates == pytest.approx(expected, rel=1e-5)


def test_progressive_shrinking_resumes_in_the_phase_where_it_stopped(tmp_path, digits, monkeypatch):
    (x, y), _ = digits
    drawn = []  # (epoch, width of stage 1) of every step.

    class RecordingSampler(PathSampler):
        def start_epoch(self, epoch):
            super().start_epoch(epoch)
            self.epoch = epoch

        def __call__(self):
            values = super().__call__()
            drawn.append((self.epoch, values["stage_1/width"]))
            return values

    monkeypatch.setattr(one_shot_search, "PathSampler", RecordingSampler)
    space = _one_block_space()

    def train(epochs):
        tuner = OneShotSearch(
            space,
            supernet_epochs=4,
            path_sampling="progressive",
            seed=0,
            directory=str(tmp_path),
            progress_out=io.StringIO(),
        )
        tuner.train_supernet(x[:512], y[:512], epochs=epochs, batch_size=16, verbose=0)

    train(1)  # Stopped after the first of 4 epochs (phase 1 of 2: the largest width).
    train(None)  # Resumed in epoch 2, the first of phase 2 (every width).
    epochs = [epoch for epoch, _ in drawn]
    assert epochs == [0] * 32 + [1] * 32 + [2] * 32 + [3] * 32
    assert {width for epoch, width in drawn if epoch < 2} == {8}
    assert {width for epoch, width in drawn if epoch == 2} == {4, 8}


def test_the_supernet_training_step_is_traced_once(tmp_path, digits, monkeypatch):
    # The optimizer's and the metrics' variables exist before `fit`; created in the first
    # step, they made TensorFlow trace it twice (48.6 s against 26.6 s for the first epoch
    # of a MacroSpace supernet on digits).
    (x, y), _ = digits
    space = _one_block_space()
    traces = []

    def build_supernet(*args, **kwargs):
        supernet = type(space).build_supernet(space, *args, **kwargs)
        train_step = supernet.train_step
        supernet.train_step = lambda data: traces.append(1) or train_step(data)
        return supernet

    monkeypatch.setattr(space, "build_supernet", build_supernet)
    tuner = OneShotSearch(
        space,
        max_trials=1,
        supernet_epochs=2,
        seed=0,
        directory=str(tmp_path),
        progress_out=io.StringIO(),
    )
    tuner.train_supernet(x[:128], y[:128], batch_size=64, verbose=0)
    assert len(traces) == 1


def test_the_training_state_is_built_with_the_metrics_at_zero(digits):
    (x, y), _ = digits
    supernet = _one_block_space().build_supernet()
    _build_training_state(supernet, x, y)
    assert supernet.optimizer.built
    variables = [v for metric in supernet.metrics for v in metric.variables]
    assert len(variables) >= 4  # The loss's and the accuracy's totals and counts.
    assert all(float(keras.ops.max(keras.ops.abs(v))) == 0.0 for v in variables)


def test_a_space_without_a_supernet_is_refused(tmp_path):
    space = NASNetCellSpace(input_shape=(8, 8, 1), num_classes=10)
    with pytest.raises(ValueError, match="one-shot supernet.*NASNetCellSpace has no one-shot"):
        OneShotSearch(space, directory=str(tmp_path))


def test_validation_data_is_required_before_any_training(tmp_path, digits):
    (x, y), _ = digits
    tuner = _tuner(tmp_path, max_trials=1)
    with pytest.raises(ValueError, match="validation_data=\\(x_val, y_val\\)"):
        tuner.search(x, y)
    assert tuner.supernet_epochs_trained() == 0


@pytest.mark.parametrize(
    "arguments, facts",
    [
        ({"supernet_epochs": 0}, ("`supernet_epochs`", "positive integer", "supernet_epochs=0")),
        (
            {"calibration_batches": 1.5},
            ("`calibration_batches`", "positive integer", "calibration_batches=1.5"),
        ),
        ({"weight_sharing": True}, ("always shares weights", "weight_sharing=True")),
        (
            {"supernet_schedule": "linear"},
            ("`supernet_schedule`", "('constant', 'cosine')", "supernet_schedule='linear'"),
        ),
    ],
)
def test_bad_arguments_are_named(tmp_path, arguments, facts):
    with raises_mentioning(ValueError, *facts):
        OneShotSearch(_space(), directory=str(tmp_path), **arguments)


def test_chief_worker_mode_is_refused_before_any_training(tmp_path, monkeypatch):
    monkeypatch.setenv("KERASTUNER_ORACLE_IP", "127.0.0.1")
    monkeypatch.setenv("KERASTUNER_ORACLE_PORT", "8000")
    monkeypatch.setenv("KERASTUNER_TUNER_ID", "tuner0")
    with pytest.raises(ValueError) as error:
        OneShotSearch(_space(), directory=str(tmp_path))
    assert "OneShotSearch runs in one process" in str(error.value)
    assert "Received: KERASTUNER_ORACLE_IP='127.0.0.1'" in str(error.value)


def test_a_sub_network_before_the_supernet_is_trained_is_an_error(tmp_path):
    tuner = _tuner(tmp_path, max_trials=1)
    with pytest.raises(RuntimeError, match="Train the supernet first"):
        tuner.sub_network({})


def test_one_shot_search_of_mobilenet_space(tmp_path, digits):
    (x, y), validation = digits
    space = MobileNetSpace(
        input_shape=(8, 8, 1),
        num_classes=10,
        depths=(1,),
        kernels=(3,),
        expansions=(3,),
        width_multipliers=(0.25,),
    )
    tuner = OneShotSearch(
        space,
        max_trials=3,
        supernet_epochs=1,
        seed=0,
        directory=str(tmp_path),
        progress_out=io.StringIO(),
    )
    tuner.search(x[:256], y[:256], validation_data=validation, batch_size=64, verbose=0)
    assert len(tuner.oracle.trials) == 3
    assert all(0.0 <= trial.score <= 1.0 for trial in tuner.oracle.trials.values())
