"""`NASTuner(..., weight_sharing=True)`: candidates inherit the layers they share."""

import io
import os
import subprocess
import sys
import textwrap

import keras
import keras_tuner
import numpy as np
import pytest

from keras_nas import EvolutionarySearch
from keras_nas.datasets import load_digits
from keras_nas.tuners.nas_tuner import PENDING_WEIGHTS_DIR, SHARED_WEIGHTS_DIR
from keras_nas.weight_sharing import SharedLayerRegistry

SHARED_KEY = "shared_dense:Dense:64x16,16"


def build(hp):
    """A user's model function: one layer every candidate has, one whose width is searched."""
    inputs = keras.Input((64,))
    x = keras.layers.Dense(16, activation="relu", name="shared_dense")(inputs)
    x = keras.layers.Dense(hp.Choice("width", [8, 12, 16, 20]), activation="relu", name="wide")(x)
    outputs = keras.layers.Dense(10, activation="softmax", name="predictions")(x)
    model = keras.Model(inputs, outputs)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


@pytest.fixture(scope="module")
def digits():
    (x, y), (x_val, y_val) = load_digits()
    return (x.reshape(-1, 64), y), (x_val.reshape(-1, 64), y_val)


def _search(directory, digits, max_trials, overwrite=True):
    (x, y), validation = digits
    out = io.StringIO()
    tuner = EvolutionarySearch(
        build,
        objective="val_accuracy",
        max_trials=max_trials,
        seed=0,
        weight_sharing=True,
        directory=str(directory),
        project_name="shared",
        overwrite=overwrite,
        progress_out=out,
    )
    tuner.search(x, y, validation_data=validation, epochs=1, batch_size=64)
    return tuner, out.getvalue().splitlines()


def test_candidates_inherit_the_layers_they_share(tmp_path, digits):
    tuner, lines = _search(tmp_path, digits, max_trials=3)
    # Each trial has a different width, so only `shared_dense` is shared among them.
    assert len(lines) == 3
    assert "inherited 0/3 layers" in lines[0]
    assert all("inherited 1/3 layers" in line for line in lines[1:])
    assert SHARED_KEY in tuner.registry
    on_disk = SharedLayerRegistry(os.path.join(tuner.project_dir, SHARED_WEIGHTS_DIR))
    assert sorted(on_disk) == sorted(tuner.registry)
    for key in tuner.registry:
        for saved, held in zip(on_disk.weights(key), tuner.registry.weights(key), strict=True):
            np.testing.assert_array_equal(saved, held)


def test_a_resumed_search_inherits_from_disk(tmp_path, digits):
    _search(tmp_path, digits, max_trials=2)
    tuner, lines = _search(tmp_path, digits, max_trials=3, overwrite=False)
    assert len(tuner.oracle.trials) == 3
    assert len(lines) == 1 and "inherited 1/3 layers" in lines[0]


def test_a_resumed_search_commits_the_weights_of_ended_trials_only(tmp_path, digits):
    tuner, _ = _search(tmp_path, digits, max_trials=2)
    project = tuner.project_dir
    assert not [
        p for p in os.listdir(project) if os.path.exists(os.path.join(p, PENDING_WEIGHTS_DIR))
    ]
    # As a crash leaves them: trial 1 ended but its weights wait to be committed; trial 7 was
    # never recorded as ended (it runs again), so its weights must never count.
    scratch = SharedLayerRegistry(str(tmp_path / "scratch"))
    ended, unrecorded = build(keras_tuner.HyperParameters()), build(keras_tuner.HyperParameters())
    for model, trial_id in ((ended, "1"), (unrecorded, "7")):
        model.set_weights(
            [np.full(w.shape, float(trial_id), "float32") for w in model.get_weights()]
        )
        scratch.store(
            model, pending=os.path.join(project, f"trial_{trial_id}", PENDING_WEIGHTS_DIR)
        )

    _search(tmp_path, digits, max_trials=2, overwrite=False)
    for trial_id in ("1", "7"):
        assert not os.path.exists(os.path.join(project, f"trial_{trial_id}", PENDING_WEIGHTS_DIR))
    on_disk = SharedLayerRegistry(os.path.join(project, SHARED_WEIGHTS_DIR))
    assert [float(w.flat[0]) for w in on_disk.weights(SHARED_KEY)] == [1.0, 1.0]


def test_without_weight_sharing_nothing_is_shared(tmp_path, digits):
    (x, y), validation = digits
    tuner = EvolutionarySearch(
        build, objective="val_accuracy", max_trials=1, seed=0, directory=str(tmp_path)
    )
    tuner.search(x, y, validation_data=validation, epochs=1, verbose=0)
    assert tuner.registry is None
    assert not os.path.exists(os.path.join(tuner.project_dir, SHARED_WEIGHTS_DIR))


def test_weight_sharing_must_be_a_bool_or_a_registry(tmp_path):
    with pytest.raises(ValueError, match="`weight_sharing` must be True, False or a `Shared"):
        EvolutionarySearch(
            build, objective="val_accuracy", weight_sharing="yes", directory=str(tmp_path)
        )


def test_weight_sharing_under_a_mirrored_strategy(tmp_path):
    script = textwrap.dedent(
        f"""
        import io
        import tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        from tests.weight_sharing.test_inheritance import build
        from keras_nas import EvolutionarySearch
        from keras_nas.datasets import load_digits
        (x, y), (xv, yv) = load_digits()
        out = io.StringIO()
        tuner = EvolutionarySearch(
            build, objective="val_accuracy", max_trials=2, seed=0, weight_sharing=True,
            distribution_strategy=tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]),
            directory={str(tmp_path)!r}, progress_out=out)
        tuner.search(x.reshape(-1, 64), y, validation_data=(xv.reshape(-1, 64), yv),
                     epochs=1, batch_size=64)
        print(out.getvalue())
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [line for line in result.stdout.splitlines() if "trial" in line]
    assert len(lines) == 2 and "inherited 1/3 layers" in lines[1], result.stdout
