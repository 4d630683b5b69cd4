"""A search watched in TensorBoard: per-trial HParams, the search run, a real server.

One small REINFORCE search (MLPSpace, whose layers beyond `num_layers` are conditional) runs
once for the module; the tests read its event files back with TensorBoard's own reader and
through a `tensorboard` server started on 127.0.0.1.
"""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from types import SimpleNamespace

import keras
import numpy as np
import pytest
import tensorflow as tf
from tensorboard.backend.event_processing import event_accumulator
from tensorboard.plugins.hparams import plugin_data_pb2

from keras_nas import ReinforceSearch, plots
from keras_nas.callbacks import INACTIVE, SearchTensorBoard, trial_hparams
from keras_nas.datasets import load_digits
from keras_nas.estimation import ZeroCostFilter
from keras_nas.oracles import RegularizedEvolutionOracle
from keras_nas.search_spaces import MLPSpace
from keras_nas.timing import trial_timing
from tests.oracles.toy import make_oracle, matches, run


class _TeamBoard(keras.callbacks.TensorBoard):
    """A subclass, which KerasTuner alone would not recognise."""


@pytest.fixture(scope="module")
def search(tmp_path_factory):
    directory = tmp_path_factory.mktemp("search")
    log_dir = str(directory / "logs")
    (x, y), (x_val, y_val) = load_digits()
    keras.utils.set_random_seed(0)
    tuner = ReinforceSearch(
        MLPSpace(input_shape=(64,), num_classes=10),
        objective="val_accuracy",
        max_trials=4,
        seed=3,
        directory=str(directory),
        project_name="digits",
    )
    tuner.search(
        x.reshape(-1, 64)[:300],
        y[:300],
        validation_data=(x_val.reshape(-1, 64), y_val),
        epochs=2,
        verbose=0,
        callbacks=[_TeamBoard(log_dir), SearchTensorBoard(log_dir)],
    )
    return tuner, log_dir


def _accumulator(run_dir):
    accumulator = event_accumulator.EventAccumulator(
        run_dir, size_guidance={event_accumulator.TENSORS: 0}
    )
    accumulator.Reload()
    return accumulator


def _session_hparams(run_dir):
    content = _accumulator(run_dir).PluginTagToContent("hparams")
    start = plugin_data_pb2.HParamsPluginData.FromString(
        content["_hparams_/session_start_info"]
    ).session_start_info
    return {
        name: value.WhichOneof("kind") and getattr(value, value.WhichOneof("kind"))
        for name, value in start.hparams.items()
    }


def test_every_trial_logs_all_its_hparams_inactive_ones_included(search):
    tuner, log_dir = search
    trials = tuner.oracle.trials
    assert sorted(os.listdir(log_dir)) == sorted([*trials, "search"])
    saw_inactive = False
    for trial_id, trial in trials.items():
        logged = _session_hparams(os.path.join(log_dir, trial_id, "execution0"))
        expected = trial_hparams(trial.hyperparameters)
        assert set(logged) == {hp.name for hp in tuner.oracle.get_space().space}
        assert logged == {
            name: float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v
            for name, v in expected.items()
        }
        saw_inactive |= INACTIVE in logged.values()
    assert saw_inactive  # The search met a shallow network, so some choices were inactive.


def test_search_scalars_equal_the_scores_the_oracle_recorded(search):
    tuner, log_dir = search
    accumulator = _accumulator(os.path.join(log_dir, "search"))
    logged = {
        event.step: float(tf.make_ndarray(event.tensor_proto))
        for event in accumulator.Tensors("objective/val_accuracy")
    }
    scores = {int(t.trial_id): t.score for t in tuner.oracle.trials.values()}
    assert sorted(logged) == [0, 1, 2, 3]  # The trial ids, as `keras-nas report` shows them.
    assert logged == pytest.approx(scores)
    best = [
        float(tf.make_ndarray(e.tensor_proto))
        for e in accumulator.Tensors("objective/best_val_accuracy")
    ]
    assert best == pytest.approx(list(np.maximum.accumulate([scores[k] for k in sorted(scores)])))
    params = {
        e.step: float(tf.make_ndarray(e.tensor_proto)) for e in accumulator.Tensors("cost/params")
    }
    for trial in tuner.oracle.trials.values():
        assert params[int(trial.trial_id)] == trial.metrics.get_last_value("params")
        assert trial.metrics.get_last_value("flops") > 0
    # REINFORCE's state: probabilities of each decision sum to one at every step.
    tags = accumulator.Tags()["tensors"]
    for tag in ("search/reward", "search/baseline", "search/entropy"):
        assert len(accumulator.Tensors(tag)) == 4
    assert {"cost/size_bytes", "cost/build_seconds", "cost/fit_seconds"} <= set(tags)
    layers = [t for t in tags if t.startswith("search/probability/num_layers/")]
    assert len(layers) == 3
    total = sum(float(tf.make_ndarray(accumulator.Tensors(t)[-1].tensor_proto)) for t in layers)
    assert total == pytest.approx(1.0)


def test_cost_seconds_is_each_trials_recorded_total(search):
    tuner, log_dir = search
    accumulator = _accumulator(os.path.join(log_dir, "search"))
    logged = {
        e.step: float(tf.make_ndarray(e.tensor_proto)) for e in accumulator.Tensors("cost/seconds")
    }
    totals = {int(t.trial_id): sum(trial_timing(t).values()) for t in tuner.oracle.trials.values()}
    assert logged == pytest.approx(totals)


def test_the_progress_image_draws_each_trial_at_its_id(search, monkeypatch):
    tuner, log_dir = search
    figures = []
    monkeypatch.setattr(plots, "_png", lambda figure: figures.append(figure) or b"")
    last = tuner.oracle.trials["3"]
    SearchTensorBoard(log_dir)._images(tuner, last)
    progress = figures[-1].axes[0]
    dots = {float(x): float(y) for x, y in progress.collections[0].get_offsets()}
    assert dots == pytest.approx({float(t.trial_id): t.score for t in tuner.oracle.trials.values()})


def test_search_run_holds_text_and_images(search):
    tuner, log_dir = search
    accumulator = _accumulator(os.path.join(log_dir, "search"))
    plugins = {
        tag: accumulator.SummaryMetadata(tag).plugin_data.plugin_name
        for tag in accumulator.Tags()["tensors"]
    }
    assert plugins["genotype"] == "text"
    texts = accumulator.Tensors("genotype")
    assert len(texts) == 4
    first = tf.make_ndarray(texts[0].tensor_proto).item().decode()
    assert "| num_layers |" in first
    images = [tag for tag, plugin in plugins.items() if plugin == "images"]
    assert sorted(images) == ["architecture", "progress"]
    assert (plugins["space/scores"], plugins["space/diagnostics"]) == ("histograms", "text")
    last = tf.make_ndarray(accumulator.Tensors("space/diagnostics")[-1].tensor_proto)
    scores = sorted(trial.score for trial in tuner.oracle.trials.values())
    assert f"Scores of 4 trials: mean {np.mean(scores):.4f}" in last.item().decode()
    for tag in images:
        width, height, png = tf.make_ndarray(accumulator.Tensors(tag)[-1].tensor_proto)[:3]
        assert int(width) > 100 and int(height) > 100
        assert png.startswith(b"\x89PNG")


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url, data=None):
    request = urllib.request.Request(
        url,
        data=None if data is None else json.dumps(data).encode(),
        headers={"Content-Type": "application/json", "X-TensorBoard-Origin": "127.0.0.1"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_a_tensorboard_server_lists_every_run_and_the_hparams_experiment(search):
    tuner, log_dir = search
    port = _free_port()
    tensorboard = os.path.join(os.path.dirname(sys.executable), "tensorboard")
    server = subprocess.Popen(
        [
            tensorboard,
            "--logdir",
            log_dir,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--reload_interval",
            "1",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        expected = {f"{trial_id}/execution0" for trial_id in tuner.oracle.trials} | {"search"}
        deadline, runs = time.monotonic() + 60, []
        while time.monotonic() < deadline:
            try:
                runs = _get(f"{base}/data/runs")
            except OSError:
                runs = []
            if expected <= {run.replace(os.sep, "/") for run in runs}:
                break
            time.sleep(0.5)
        assert expected <= set(runs), runs
        experiment = _get(f"{base}/data/plugin/hparams/experiment", {"experimentName": ""})
        names = {info["name"] for info in experiment["hparamInfos"]}
        assert names == {hp.name for hp in tuner.oracle.get_space().space}
        # The answers came from this server, still running: it had not exited or crashed.
        assert server.poll() is None, server.returncode
    finally:
        server.terminate()
        server.wait(timeout=30)
    # Stopped, it exits cleanly: TensorBoard handles SIGTERM with status 0.
    assert server.returncode == 0


def test_zero_cost_scores_and_their_running_rank_correlation_are_scalars(tmp_path):
    oracle = make_oracle(
        tmp_path,
        "zero_cost",
        RegularizedEvolutionOracle,
        max_trials=4,
        seed=0,
        zero_cost=ZeroCostFilter("naswot", candidates=2),
    )
    oracle.candidate_score = lambda values: float(matches(values))
    run(oracle, 4, score_fn=lambda values: float(matches(values)))  # A perfect proxy.
    trials = [oracle.trials[trial_id] for trial_id in oracle.start_order]
    board, tuner = SearchTensorBoard(str(tmp_path / "logs")), SimpleNamespace(oracle=oracle)
    scalars = board.scalars(tuner, trials[-1])
    assert scalars["zero_cost/naswot"] == matches(trials[-1].hyperparameters.values)
    assert len({matches(trial.hyperparameters.values) for trial in trials}) > 1
    assert scalars["zero_cost/naswot_rank_correlation"] == pytest.approx(1.0)
