"""Tests for `ReinforceOracle`, driven on toy objectives without training."""

import json
import os
import zipfile

import keras_tuner
import numpy as np
import pytest
from keras_tuner.engine.trial import TrialStatus

from keras_nas.oracles import ReinforceOracle
from keras_nas.oracles.reinforce import POLICY_FILE
from tests.oracles.toy import (
    TARGET,
    assert_beats_random_search,
    finish,
    flat_space,
    make_oracle,
    matches,
    run,
)


def _make(tmp_path, name, oracle_class=ReinforceOracle, **kwargs):
    return make_oracle(tmp_path, name, oracle_class, **kwargs)


def _policy(oracle, num_hps=6):
    return [oracle.probabilities(f"op_{i}") for i in range(num_hps)]


def test_reinforce_beats_random_search_at_equal_budget(tmp_path):
    assert_beats_random_search(
        tmp_path,
        lambda name, seed: _make(tmp_path, name, max_trials=100, seed=seed),
        budget=100,
        seeds=range(5),
    )


def test_policy_learns_the_rewarded_values(tmp_path):
    oracle = _make(tmp_path, "learn", max_trials=150, seed=0)
    run(oracle, 150)
    for i, target in enumerate(TARGET):
        probabilities = oracle.probabilities(f"op_{i}")
        assert np.argmax(probabilities) == "abcd".index(target), (i, probabilities)
        assert probabilities["abcd".index(target)] > 0.5, (i, probabilities)


def test_same_seed_same_sequence_and_different_seeds_differ(tmp_path):
    first = run(_make(tmp_path, "a", max_trials=40, seed=7), 40)
    second = run(_make(tmp_path, "b", max_trials=40, seed=7), 40)
    other = run(_make(tmp_path, "c", max_trials=40, seed=8), 40)
    assert len(first) == 40
    assert first == second
    assert first != other


def test_state_round_trips_through_json(tmp_path):
    oracle = _make(tmp_path, "a", max_trials=30, seed=5)
    run(oracle, 12)
    state = json.loads(json.dumps(oracle.get_state()))
    assert state["policy_step"] == 12
    assert state["policy_file"] == POLICY_FILE
    assert isinstance(state["baseline"], float)
    # The copy reads the policy from the side file of the same project directory.
    copy = _make(tmp_path, "a", max_trials=30, seed=6)
    copy.trials = oracle.trials
    copy.set_state(state)
    assert _policy(copy) == _policy(oracle)
    # `tried_so_far` is a set that KerasTuner saves as a list, in no fixed order.
    state, copied = oracle.get_state(), copy.get_state()
    assert sorted(state.pop("tried_so_far")) == sorted(copied.pop("tried_so_far"))
    # The constructor arguments recorded beside the state are each instance's own.
    assert (state.pop("arguments")["seed"], copied.pop("arguments")["seed"]) == (5, 6)
    assert copied == state
    assert copy.populate_space("x") == oracle.populate_space("x")


def test_reload_continues_the_identical_sequence_and_policy(tmp_path):
    uninterrupted = _make(tmp_path, "full", max_trials=60, seed=3)
    expected = run(uninterrupted, 60)

    interrupted = _make(tmp_path, "resumed", max_trials=60, seed=3)
    assert run(interrupted, 25) == expected[:25]
    # `Oracle.end_trial` saves before it drops the trial from `ongoing_trials`; the Tuner saves
    # again right after (`BaseTuner.on_trial_end`), so do the same or the last trial is retried.
    interrupted.save()
    policy = _policy(interrupted)

    # A new instance with other settings: everything that matters must come from the project.
    reloaded = _make(tmp_path, "resumed", max_trials=60, seed=99)
    reloaded.reload()
    assert _policy(reloaded) == policy
    assert run(reloaded, 35) == expected[25:]
    assert _policy(reloaded) == _policy(uninterrupted)


def test_policy_file_is_npz_without_pickle_and_matches_the_policy(tmp_path):
    oracle = _make(tmp_path, "npz", max_trials=20, seed=2)
    run(oracle, 20)
    path = os.path.join(str(tmp_path), "npz", POLICY_FILE)
    assert zipfile.is_zipfile(path)
    with np.load(path, allow_pickle=False) as arrays:
        assert all(arrays[key].dtype != object for key in arrays.files)
        assert int(arrays["step"]) == 20
        assert sorted(arrays["names"].tolist()) == [f"op_{i}" for i in range(6)]
    # The atomic writes leave no temporary file behind.
    files = [
        name for name in os.listdir(os.path.join(str(tmp_path), "npz")) if "trial_" not in name
    ]
    assert sorted(files) == ["oracle.json", POLICY_FILE]
    assert _policy(oracle) != [[0.25] * 4] * 6


def test_crash_between_policy_file_and_oracle_json_neither_loses_nor_repeats(tmp_path):
    oracle = _make(tmp_path, "crash", max_trials=30, seed=4)
    run(oracle, 10)
    oracle.save()
    committed = _policy(oracle)
    trial = oracle.create_trial("tuner0")
    oracle.update_trial(trial.trial_id, {"score": matches(trial.hyperparameters.values)})
    # Simulate a crash right after the side file is written at the trial's end: creating and
    # updating the trial wrote nothing, so `oracle.json` holds the state of before it.
    oracle._update(trial.hyperparameters.values, float(matches(trial.hyperparameters.values)))
    oracle._write_policy()

    reloaded = _make(tmp_path, "crash", max_trials=30, seed=0)
    reloaded.reload()
    assert _policy(reloaded) == committed
    # The saved random state proposes the same trial again; its update is then applied once.
    retried = reloaded.create_trial("tuner0")
    assert retried.trial_id == trial.trial_id
    assert retried.hyperparameters.values == trial.hyperparameters.values
    finish(reloaded, retried, matches(retried.hyperparameters.values))
    assert reloaded.get_state()["policy_step"] == 11
    assert _policy(reloaded) == _policy(oracle)


def test_missing_policy_file_is_an_error(tmp_path):
    oracle = _make(tmp_path, "lost", max_trials=10, seed=1)
    run(oracle, 3)
    os.remove(os.path.join(str(tmp_path), "lost", POLICY_FILE))
    with pytest.raises(RuntimeError, match="policy file .* is missing"):
        _make(tmp_path, "lost", max_trials=10).reload()


def _conditional_space():
    hp = keras_tuner.HyperParameters()
    hp.Choice("depth", [1, 2, 3])
    for i in range(1, 4):
        with hp.conditional_scope("depth", list(range(i, 4))):
            hp.Choice(f"layer_{i}/units", [8, 16, 32, 64])
            hp.Boolean(f"layer_{i}/residual")
    hp.Float("learning_rate", 1e-4, 1e-2, sampling="log")
    hp.Int("epochs", 1, 5)
    return hp


def test_conditional_space_proposes_exactly_the_active_hyperparameters(tmp_path):
    oracle = _make(tmp_path, "cond", hyperparameters=_conditional_space(), max_trials=80, seed=0)
    history = run(oracle, 80, score_fn=lambda v: v["depth"] + v["layer_1/units"] / 64)
    assert len(history) == 80
    for values in history:
        expected = {"depth", "learning_rate", "epochs"}
        expected |= {
            f"layer_{i}/{k}" for i in range(1, values["depth"] + 1) for k in ("units", "residual")
        }
        assert set(values) == expected
        assert 1e-4 <= values["learning_rate"] <= 1e-2
        assert 1 <= values["epochs"] <= 5
    assert {values["depth"] for values in history} == {1, 2, 3}
    # Deeper is rewarded, so the policy learns it; Int and Float are not learned.
    assert np.argmax(oracle.probabilities("depth")) == 2
    assert len({values["learning_rate"] for values in history}) == 80


def test_tiny_space_stops_when_exhausted_without_repeats(tmp_path):
    oracle = _make(
        tmp_path, "tiny", hyperparameters=flat_space(num_hps=2, num_values=2), max_trials=10
    )
    history = run(oracle, 10)
    assert len(history) == 4
    assert len({json.dumps(v, sort_keys=True) for v in history}) == 4
    trial = oracle.create_trial("tuner0")
    assert trial.status == TrialStatus.STOPPED
    assert len(oracle.trials) == 4


def test_asynchronous_trials_are_distinct_and_update_out_of_order(tmp_path):
    oracle = _make(tmp_path, "async", max_trials=60, seed=1)
    run(oracle, 10)
    running = [oracle.create_trial(f"tuner{i}") for i in range(8)]
    assert all(trial.status == TrialStatus.RUNNING for trial in running)
    proposed = [json.dumps(t.hyperparameters.values, sort_keys=True) for t in running]
    tried = [json.dumps(t.hyperparameters.values, sort_keys=True) for t in oracle.trials.values()]
    assert len(set(proposed)) == 8
    assert len(set(tried)) == len(tried) == 18
    # Finishing them out of order updates the policy once per trial and keeps the search going.
    for trial in reversed(running):
        finish(oracle, trial, matches(trial.hyperparameters.values))
    assert oracle.get_state()["policy_step"] == 18
    assert oracle.create_trial("tuner0").status == TrialStatus.RUNNING


def test_failed_trials_do_not_update_the_policy(tmp_path):
    oracle = _make(tmp_path, "failed", max_trials=10, seed=1)
    run(oracle, 3)
    before = _policy(oracle)
    trial = oracle.create_trial("tuner0")
    trial.status = TrialStatus.FAILED
    oracle.end_trial(trial)
    assert oracle.get_state()["policy_step"] == 3
    assert _policy(oracle) == before


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"learning_rate": 0}, "`learning_rate` must be a finite number above 0"),
        ({"learning_rate": -0.1}, "`learning_rate` must be a finite number above 0"),
        ({"learning_rate": "0.1"}, "`learning_rate` must be a finite number above 0"),
        ({"learning_rate": float("nan")}, "`learning_rate` must be a finite number above 0"),
        ({"entropy_weight": -0.01}, "`entropy_weight` must be a finite number of at least 0"),
        ({"entropy_weight": True}, "`entropy_weight` must be a finite number of at least 0"),
        ({"baseline_decay": 1.0}, r"`baseline_decay`.*at least 0 and below 1"),
        ({"baseline_decay": -0.5}, r"Received: baseline_decay=-0.5"),
        ({"baseline_decay": None}, r"`baseline_decay`.*at least 0 and below 1"),
    ],
)
def test_invalid_arguments_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ReinforceOracle(hyperparameters=flat_space(), **kwargs)


def test_probabilities_of_an_unknown_name_raise(tmp_path):
    oracle = _make(tmp_path, "names", max_trials=5, seed=0)
    assert oracle.probabilities("op_0") == [0.25] * 4
    with pytest.raises(ValueError, match="must be a `Choice` or `Boolean`"):
        oracle.probabilities("missing")


def test_minimisation_objective_is_respected(tmp_path):
    def mismatches(values):
        return len(TARGET) - matches(values)

    budget = 150
    minimising = _make(
        tmp_path,
        "min",
        objective=keras_tuner.Objective("score", "min"),
        max_trials=budget,
        seed=0,
    )
    history = run(minimising, budget, score_fn=mismatches)
    late = [mismatches(v) for v in history[-50:]]
    early = [mismatches(v) for v in history[:20]]
    assert min(mismatches(v) for v in history) == 0
    assert np.mean(late) < np.mean(early) - 1.0
    assert minimising.get_best_trials(1)[0].score == 0


def test_canonical_key_duplicates_are_never_both_proposed(tmp_path):
    # "b" and "c" compute the same function: the key maps both to "b".
    def canonical_key(values):
        return json.dumps({k: "b" if v == "c" else v for k, v in sorted(values.items())})

    oracle = _make(
        tmp_path,
        "key",
        hyperparameters=flat_space(num_hps=3, num_values=3),
        canonical_key=canonical_key,
        max_trials=40,
        seed=0,
    )
    history = run(oracle, 40)
    keys = [canonical_key(values) for values in history]
    # 2 ** 3 classes: the search proposes each once, then stops.
    assert len(keys) == len(set(keys)) == 8
    assert oracle.create_trial("tuner0").status == TrialStatus.STOPPED
