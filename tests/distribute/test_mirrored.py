"""Searches under `tf.distribute.MirroredStrategy` on two logical CPU devices: every model's
variables are mirrored on both, equal after training, and the results are recorded."""

import json
import os
import pathlib
import subprocess
import sys
import textwrap

ROOT = pathlib.Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import io, json, sys
    import numpy as np
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras
    from keras_nas import DifferentiableSearch, EvolutionarySearch, OneShotSearch
    from keras_nas.datasets import load_digits
    from keras_nas.search_spaces import MacroSpace, MLPSpace, NASBench201Space

    class Replicas(keras.callbacks.Callback):
        # After each training: per model, the number of copies of each trainable variable
        # and the largest difference between copies. KerasTuner copies the callbacks of each
        # trial, so the record is kept in the class.
        models = []

        def on_train_end(self, logs=None):
            copies, spread = set(), 0.0
            for variable in self.model.trainable_variables:
                parts = [np.asarray(part) for part in variable.value.values]
                copies.add(len(parts))
                spread = max(spread, max(float(np.max(np.abs(p - parts[0]))) for p in parts))
            self.models.append({"copies": sorted(copies), "spread": spread})

    directory = sys.argv[1]
    # One strategy for the whole process: several MirroredStrategy objects in one process
    # break TensorFlow's collective all-reduce ("Shape mismatch in the collective instance").
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    report = {}
    (x, y), (xv, yv) = load_digits()
    x, y, xv, yv = x[:512], y[:512], xv[:256], yv[:256]  # Enough to train on each device.
    # Evolution with weight sharing: the trial path, and the shared layers mirrored too.
    Replicas.models = []
    tuner = EvolutionarySearch(
        MLPSpace(input_shape=(64,), num_classes=10), objective="val_accuracy",
        max_trials=2, seed=0, weight_sharing=True, distribution_strategy=strategy,
        directory=directory, project_name="sharing", progress_out=io.StringIO())
    tuner.search(x.reshape(-1, 64), y, validation_data=(xv.reshape(-1, 64), yv),
                 epochs=1, batch_size=64, callbacks=[Replicas()])
    report["sharing"] = {
        "models": Replicas.models,
        "scores": [t.score for t in tuner.oracle.trials.values()],
        "statuses": [t.status for t in tuner.oracle.trials.values()],
    }
    # A supernet with a choice of block (a PathChoice) and of width (a ChannelMask), small
    # enough to trace quickly under the strategy.
    space = MacroSpace(input_shape=(8, 8, 1), num_classes=10, num_stages=1,
                       block_types=("conv", "mbconv"), kernels=(3,), widths=(4, 8),
                       depths=(1,), expansions=(2,))
    Replicas.models = []
    tuner = OneShotSearch(
        space, max_trials=2, supernet_epochs=1, seed=0,
        distribution_strategy=strategy, directory=directory, project_name="one_shot")
    tuner.search(x, y, validation_data=(xv, yv), batch_size=64, verbose=0, callbacks=[Replicas()])
    report["one_shot"] = {
        "models": Replicas.models,
        "scores": [t.score for t in tuner.oracle.trials.values()],
        "statuses": [t.status for t in tuner.oracle.trials.values()],
    }
    # Gradient-based search: the architecture parameters (non-trainable) mirrored too.
    class Alphas(keras.callbacks.Callback):
        found = {}

        def on_train_end(self, logs=None):
            parts = [[np.asarray(p) for p in a.value.values] for a in self.model.alphas]
            Alphas.found = {
                "copies": sorted({len(p) for p in parts}),
                "spread": max(float(np.max(np.abs(p - ps[0]))) for ps in parts for p in ps),
                "moved": max(float(np.max(np.abs(ps[0]))) for ps in parts),
            }

    space = NASBench201Space(input_shape=(8, 8, 1), num_classes=10, cells_per_stage=1,
                             channels=4, operations=("skip_connect", "nor_conv_1x1"))
    Replicas.models = []
    tuner = DifferentiableSearch(
        space, "darts", epochs=1, seed=0, architecture_learning_rate=0.05,
        distribution_strategy=strategy, directory=directory, project_name="differentiable")
    tuner.search(x, y, validation_data=(xv, yv), batch_size=64, verbose=0,
                 callbacks=[Replicas(), Alphas()])
    report["differentiable"] = {
        "models": Replicas.models,
        "alphas": Alphas.found,
        "scores": [t.score for t in tuner.oracle.trials.values()],
        "statuses": [t.status for t in tuner.oracle.trials.values()],
    }
    print("REPORT " + json.dumps(report))
    """
)


def test_searches_under_a_mirrored_strategy_train_replicated_weights(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    line = next(line for line in result.stdout.splitlines() if line.startswith("REPORT "))
    report = json.loads(line[len("REPORT ") :])

    for name in ("sharing", "one_shot", "differentiable"):
        run = report[name]
        trials = 1 if name == "differentiable" else 2
        assert run["statuses"] == ["COMPLETED"] * trials, name
        assert all(0.0 < score <= 1.0 for score in run["scores"]), name
        # Two trials trained (one supernet for one-shot), each variable on both devices and
        # the copies identical.
        assert len(run["models"]) == (2 if name == "sharing" else 1), name
        for model in run["models"]:
            assert model == {"copies": [2], "spread": 0.0}, name
    # Every replica holds the same, trained architecture parameters: one derived cell.
    alphas = report["differentiable"]["alphas"]
    assert alphas["copies"] == [2] and alphas["spread"] == 0.0 and alphas["moved"] > 0.01
