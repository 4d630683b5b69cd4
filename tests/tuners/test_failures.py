"""Failed candidates (NaN loss, out of memory, a build error) are failed trials with their
reason; the search goes on, and stops only after too many failures in a row."""

import gc
import weakref

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras_tuner import errors
from keras_tuner.engine.trial import TrialStatus

import keras_nas
from keras_nas.datasets import load_digits
from keras_nas.messages import failure_reason
from keras_nas.search_spaces import MLPSpace
from keras_nas.tuners.failures import TrialGuard
from tests.messages import assert_mentions

FAILING_UNITS = 16


class _OutOfMemory(keras.callbacks.Callback):
    def on_train_batch_begin(self, batch, logs=None):
        raise tf.errors.ResourceExhaustedError(
            None, None, "OOM when allocating tensor with shape[4096,4096] on /cpu:0"
        )


class FailingSpace(MLPSpace):
    """An MLP space whose candidates with 16 units in their first layer fail: how, per `kind`."""

    def __init__(self, kind, units=(16, 32)):
        super().__init__(input_shape=(64,), num_classes=10, max_layers=1, units=units)
        self.kind = kind
        self.failed_models = []

    def _fails(self, hp):
        return hp.values.get("layer_1/units") == FAILING_UNITS

    def build(self, hp):
        if self.kind == "build" and self._fails(hp):
            raise ValueError("Negative dimension size caused by subtracting 3 from 1")
        model = super().build(hp)
        if self.kind == "nan" and self._fails(hp):
            model.compile(
                optimizer="adam",
                loss=lambda y_true, y_pred: keras.ops.mean(y_pred) * float("nan"),
                metrics=["accuracy"],
            )
        return model

    def fit(self, hp, model, *args, callbacks=None, **kwargs):
        if self.kind == "oom" and self._fails(hp):
            self.failed_models.append(weakref.ref(model))
            callbacks = [*(callbacks or []), _OutOfMemory()]
        return super().fit(hp, model, *args, callbacks=callbacks, **kwargs)


@pytest.fixture(scope="module")
def digits():
    (x, y), (x_val, y_val) = load_digits()
    return x.reshape(-1, 64)[:200], y[:200], x_val.reshape(-1, 64)[:100], y_val[:100]


def _tuner(space, tmp_path, *, max_trials, max_consecutive_failed_trials=10):
    return keras_nas.EvolutionarySearch(
        space,
        objective="val_accuracy",
        max_trials=max_trials,
        seed=3,
        population_size=2,
        sample_size=2,
        max_consecutive_failed_trials=max_consecutive_failed_trials,
        directory=str(tmp_path),
    )


def _search(space, digits, tmp_path, *, max_trials=4, max_consecutive_failed_trials=10):
    x, y, x_val, y_val = digits
    tuner = _tuner(
        space,
        tmp_path,
        max_trials=max_trials,
        max_consecutive_failed_trials=max_consecutive_failed_trials,
    )
    tuner.search(x, y, validation_data=(x_val, y_val), epochs=1, verbose=0)
    return tuner


#: The facts of each kind's reason: what happened, where or the original error, and the fix.
REASONS = {
    "nan": ("loss became nan", "epoch 1, batch 1", "diverged", "learning rate"),
    "oom": (
        "out of memory",
        "(ResourceExhaustedError: OOM when allocating tensor with shape[4096,4096] on /cpu:0)",
        "smaller batch size",
    ),
    "build": (
        "failed before training",
        "ValueError: Negative dimension size caused by subtracting 3 from 1",
    ),
}


@pytest.mark.parametrize("kind", sorted(REASONS))
def test_a_failing_candidate_is_a_failed_trial_with_its_reason(kind, digits, tmp_path):
    space = FailingSpace(kind)
    tuner = _search(space, digits, tmp_path)

    trials = list(tuner.oracle.trials.values())
    assert len(trials) == 4
    failing = [t for t in trials if t.hyperparameters.values["layer_1/units"] == FAILING_UNITS]
    assert failing and len(failing) < 4
    for trial in trials:
        if trial in failing:
            assert trial.status == TrialStatus.FAILED
            assert_mentions(failure_reason(trial.message), *REASONS[kind])
        else:
            assert trial.status == TrialStatus.COMPLETED
            assert 0.0 < trial.score <= 1.0
    # The reason is on disk too, with the original error's traceback before it.
    reloaded = _tuner(FailingSpace(kind), tmp_path, max_trials=4)
    message = reloaded.oracle.trials[failing[0].trial_id].message
    assert_mentions(failure_reason(message), *REASONS[kind])
    assert "Traceback" in message


def test_an_out_of_memory_candidate_is_freed(digits, tmp_path):
    space = FailingSpace("oom")
    _search(space, digits, tmp_path)
    gc.collect()
    assert space.failed_models
    assert all(model() is None for model in space.failed_models)


def test_failures_in_a_row_stop_the_search_listing_each_reason(digits, tmp_path):
    space = FailingSpace("oom", units=(FAILING_UNITS,))  # Every candidate fails.
    with pytest.raises(RuntimeError) as raised:
        _search(space, digits, tmp_path, max_trials=6, max_consecutive_failed_trials=2)
    lines = str(raised.value).splitlines()
    assert len(lines) >= 3
    assert_mentions(
        lines[0], "stopped", "last 2 trials failed", "`max_consecutive_failed_trials` is 2"
    )
    for line, trial_id in zip(lines[1:3], ["0", "1"], strict=True):
        assert_mentions(line, f"trial {trial_id}:", *REASONS["oom"])
    # Both failures were saved before the search stopped: a resumed search knows them.
    resumed = _tuner(space, tmp_path, max_trials=6, max_consecutive_failed_trials=2)
    assert [t.status for t in resumed.oracle.trials.values()] == [TrialStatus.FAILED] * 2
    assert resumed.oracle.end_order == ["0", "1"]


def test_a_nan_candidate_stops_at_its_first_nan_batch():
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile("sgd", lambda y_true, y_pred: keras.ops.mean(y_pred) * float("nan"))
    seen = []
    batches = keras.callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: seen.append(b))
    x = np.ones((64, 1))
    with pytest.raises(errors.FailedTrialError, match="batch 1:"):
        model.fit(
            x,
            x,
            batch_size=8,
            epochs=2,
            verbose=0,
            callbacks=[batches, TrialGuard()],
        )
    assert seen == [0]


def test_candidates_over_max_model_size_are_rejected_not_failed(digits, tmp_path):
    x, y, x_val, y_val = digits
    space = MLPSpace(input_shape=(64,), num_classes=10, max_layers=2, units=(16, 256))
    limit = 2_000  # Only candidates of 16-unit layers fit (64x16 + 16x10 weights and more).
    tuner = keras_nas.EvolutionarySearch(
        space,
        objective="val_accuracy",
        max_trials=3,
        seed=0,
        max_model_size=limit,
        directory=str(tmp_path),
    )
    tuner.search(x, y, validation_data=(x_val, y_val), epochs=1, verbose=0)

    trials = list(tuner.oracle.trials.values())
    assert [t.status for t in trials] == [TrialStatus.COMPLETED] * 3
    assert all(t.metrics.get_last_value("params") <= limit for t in trials)
    assert tuner.oracle.rejected
    assert all(
        reason.endswith(f"over max_model_size={limit}") for reason in tuner.oracle.rejected.values()
    )


def test_a_build_that_raises_while_the_space_is_declared_says_so(tmp_path):
    def build(hp):
        hp.Int("units", 8, 32, step=8)
        raise ValueError("no such layer: Dense2")

    with pytest.raises(errors.FatalError) as error:
        keras_nas.EvolutionarySearch(
            build, objective="val_accuracy", max_trials=2, directory=str(tmp_path)
        )
    assert_mentions(
        str(error.value),
        "Declaring the search space failed",
        "build(hp)",
        "ValueError: no such layer: Dense2",
        "keras_tuner.HyperParameters()",
        "failed trial",
    )
    assert isinstance(error.value.__cause__, ValueError)
