"""Tests for `LSTMReinforceOracle`, driven on toy objectives without training."""

import csv
import itertools
import json
import os

import keras_tuner
import numpy as np
import pytest
import tensorflow as tf
from keras_tuner.engine.trial import TrialStatus

from benchmarks import nasbench201 as benchmark
from benchmarks.lstm_controller import LSTMReinforceOracle
from keras_nas.oracles.reinforce import POLICY_FILE
from keras_nas.search_spaces.nasbench201 import OPERATIONS, _format_ops
from keras_nas.search_spaces.nasbench201_table import DATASET_COLUMNS
from tests.oracles.toy import (
    assert_beats_random_search,
    flat_space,
    make_oracle,
    run,
)


def _make(tmp_path, name, oracle_class=LSTMReinforceOracle, **kwargs):
    return make_oracle(tmp_path, name, oracle_class, **kwargs)


def _conditional_space():
    hp = keras_tuner.HyperParameters()
    depth = hp.Choice("depth", [1, 2, 3])
    for i in range(1, 4):
        with hp.conditional_scope("depth", list(range(i, 4))):
            hp.Choice(f"layer_{i}/units", [16, 32, 64])
            hp.Boolean(f"layer_{i}/residual")
    assert depth == 1
    hp.Float("learning_rate", 1e-4, 1e-2, sampling="log")
    return hp


def test_lstm_controller_beats_random_search_at_equal_budget(tmp_path):
    assert_beats_random_search(
        tmp_path,
        lambda name, seed: _make(tmp_path, name, max_trials=50, seed=seed),
        budget=50,
        seeds=range(4),
    )


def test_same_seed_same_sequence_and_different_seeds_differ(tmp_path):
    first = run(_make(tmp_path, "a", max_trials=20, seed=7), 20)
    second = run(_make(tmp_path, "b", max_trials=20, seed=7), 20)
    other = run(_make(tmp_path, "c", max_trials=20, seed=8), 20)
    assert len(first) == 20
    assert first == second
    assert first != other


def test_conditional_space_proposes_exactly_the_active_hyperparameters(tmp_path):
    oracle = _make(tmp_path, "cond", hyperparameters=_conditional_space(), max_trials=40, seed=0)
    history = run(oracle, 40, score_fn=lambda v: v["depth"] + v["layer_1/units"] / 64)
    assert len(history) == 40
    for values in history:
        expected = {"depth", "learning_rate"}
        expected |= {
            f"layer_{i}/{k}" for i in range(1, values["depth"] + 1) for k in ("units", "residual")
        }
        assert set(values) == expected
        assert 1e-4 <= values["learning_rate"] <= 1e-2
    assert {values["depth"] for values in history} == {1, 2, 3}
    assert len({values["learning_rate"] for values in history}) == 40


def test_tiny_space_stops_when_exhausted_without_repeats(tmp_path):
    oracle = _make(
        tmp_path, "tiny", hyperparameters=flat_space(num_hps=2, num_values=2), max_trials=10
    )
    history = run(oracle, 10)
    assert len(history) == 4
    assert len({json.dumps(v, sort_keys=True) for v in history}) == 4
    assert oracle.create_trial("tuner0").status == TrialStatus.STOPPED


def test_numpy_sampling_step_matches_the_keras_forward_pass(tmp_path):
    oracle = _make(tmp_path, "forward", max_trials=20, seed=3)
    history = run(oracle, 20)
    controller = oracle._controller
    for values in history[-3:]:
        decisions = [(controller.decision(hp), index) for hp, index in oracle._decisions(values)]
        inputs, state, log_prob = controller.start_inputs, controller.zero_state, 0.0
        for decision, index in decisions:
            logits, state = controller.step(decision, inputs, state)
            log_prob += logits[index] - np.log(np.sum(np.exp(logits)))
            inputs = controller.embedding(decision, index)
        keras_log_prob, _ = controller.log_prob_and_entropy(
            tuple(d for d, _ in decisions), tf.constant([i for _, i in decisions])
        )
        assert float(keras_log_prob) == pytest.approx(log_prob, abs=1e-5)


def test_failed_trials_do_not_update_the_controller(tmp_path):
    oracle = _make(tmp_path, "failed", max_trials=10, seed=1)
    run(oracle, 3)
    before = [v.numpy().copy() for v in oracle._controller.variables]
    trial = oracle.create_trial("tuner0")
    trial.status = TrialStatus.FAILED
    oracle.end_trial(trial)
    assert oracle.get_state()["policy_step"] == 3
    after = [v.numpy() for v in oracle._controller.variables]
    assert all(np.array_equal(b, a) for b, a in zip(before, after, strict=True))


def test_nothing_is_persisted_and_reloading_after_updates_raises(tmp_path):
    oracle = _make(tmp_path, "state", max_trials=10, seed=2)
    fresh = oracle.get_state()
    run(oracle, 3)
    state = json.loads(json.dumps(oracle.get_state()))
    assert state["policy_step"] == 3 and state["policy_file"] is None
    assert not os.path.exists(os.path.join(oracle._project_dir, POLICY_FILE))
    copy = _make(tmp_path, "state", max_trials=10, seed=2)
    with pytest.raises(NotImplementedError, match="does not save its controller's weights"):
        copy.set_state(state)
    # Before any update there is nothing to lose: the weights follow from the seed.
    copy.set_state(fresh)
    assert copy.populate_space("x") == _make(
        tmp_path, "other", max_trials=10, seed=2
    ).populate_space("x")


def test_probabilities_raise(tmp_path):
    oracle = _make(tmp_path, "names", max_trials=5, seed=0)
    with pytest.raises(NotImplementedError, match="no probabilities per hyperparameter"):
        oracle.probabilities("op_0")


def test_a_choice_declared_after_the_first_draw_raises(tmp_path):
    oracle = _make(tmp_path, "late", max_trials=10, seed=0)
    run(oracle, 2)
    oracle.hyperparameters.Choice("late", ["x", "y"])
    with pytest.raises(ValueError, match="was declared after the controller was built"):
        oracle.populate_space("x")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"units": 0}, "`units` must be a positive integer"),
        ({"units": 8.0}, "`units` must be a positive integer"),
        ({"units": True}, r"Received: units=True"),
        ({"temperature": 0}, "`temperature` must be a finite number above 0"),
        ({"tanh_constant": -1.0}, r"`tanh_constant`.*above 0, or None"),
        ({"tanh_constant": float("inf")}, r"`tanh_constant`.*above 0, or None"),
        ({"learning_rate": 0}, "`learning_rate` must be a finite number above 0"),
    ],
)
def test_invalid_arguments_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        LSTMReinforceOracle(hyperparameters=flat_space(), **kwargs)


@pytest.fixture(scope="module")
def table_path(tmp_path_factory):
    """Every NAS-Bench-201 cell, with an accuracy that grows with its 3x3 convolutions."""
    path = tmp_path_factory.mktemp("table") / "table.csv"
    with open(path, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow([*DATASET_COLUMNS.values(), "ArchitectureString"])
        for ops in itertools.product(OPERATIONS, repeat=6):
            score = 80.0 + 2.0 * ops.count("nor_conv_3x3")
            writer.writerow([score, score - 20, score - 40, _format_ops(ops)])
    return str(path)


def test_cli_accepts_the_lstm_strategy(table_path, capsys):
    argv = ["--table", table_path, "--strategy", "reinforce-lstm", "--budget", "20"]
    benchmark.main([*argv, "--runs", "1", "--dataset", "cifar10", "--json"])
    (line,) = capsys.readouterr().out.strip().splitlines()
    result = json.loads(line)
    assert result["strategy"] == "reinforce-lstm" and result["budget"] == 20
    assert 80.0 <= result["mean"] <= 92.0
