"""Tests for `RegularizedEvolutionOracle`, driven on toy objectives without training."""

import json

import keras_tuner
import numpy as np
import pytest
from keras_tuner.engine.trial import TrialStatus

from keras_nas.oracles import RegularizedEvolutionOracle
from tests.oracles.toy import (
    TARGET,
    assert_beats_random_search,
    finish,
    flat_space,
    make_oracle,
    matches,
    run,
)


def _make(tmp_path, name, oracle_class=RegularizedEvolutionOracle, **kwargs):
    return make_oracle(tmp_path, name, oracle_class, **kwargs)


def test_evolution_beats_random_search_at_equal_budget(tmp_path):
    assert_beats_random_search(
        tmp_path,
        lambda name, seed: _make(
            tmp_path, name, max_trials=150, population_size=20, sample_size=5, seed=seed
        ),
        budget=150,
        seeds=range(6),
    )


def test_same_seed_same_sequence_and_different_seeds_differ(tmp_path):
    kwargs = dict(max_trials=40, population_size=8, sample_size=3)
    first = run(_make(tmp_path, "a", seed=7, **kwargs), 40)
    second = run(_make(tmp_path, "b", seed=7, **kwargs), 40)
    other = run(_make(tmp_path, "c", seed=8, **kwargs), 40)
    assert len(first) == 40
    assert first == second
    assert first != other


def test_state_round_trips_through_json_and_reload_continues(tmp_path):
    kwargs = dict(max_trials=60, population_size=8, sample_size=3, seed=3)
    uninterrupted = _make(tmp_path, "full", **kwargs)
    expected = run(uninterrupted, 60)

    interrupted = _make(tmp_path, "resumed", **kwargs)
    assert run(interrupted, 25) == expected[:25]
    # `Oracle.end_trial` saves before it drops the trial from `ongoing_trials`; the Tuner saves
    # again right after (`BaseTuner.on_trial_end`), so do the same or the last trial is retried.
    interrupted.save()
    state = json.loads(json.dumps(interrupted.get_state()))
    assert "rng_state" in state

    # A new instance with another seed: everything that matters must come from the state.
    reloaded = _make(tmp_path, "resumed", **{**kwargs, "seed": 99})
    reloaded.reload()
    assert reloaded.get_state()["rng_state"] == state["rng_state"]
    assert run(reloaded, 35) == expected[25:]


def test_set_state_alone_restores_the_generator(tmp_path):
    kwargs = dict(max_trials=30, population_size=4, sample_size=2)
    oracle = _make(tmp_path, "a", seed=5, **kwargs)
    run(oracle, 10)
    state = json.loads(json.dumps(oracle.get_state()))
    copy = _make(tmp_path, "b", seed=6, **kwargs)
    copy.trials = oracle.trials
    copy.set_state(state)
    assert copy.populate_space("x") == oracle.populate_space("x")


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
    oracle = _make(
        tmp_path,
        "cond",
        hyperparameters=_conditional_space(),
        max_trials=80,
        population_size=6,
        sample_size=3,
        mutations=2,
        seed=0,
    )
    history = run(oracle, 80, score_fn=lambda v: v["depth"] + v["layer_1/units"] / 64)
    assert len(history) == 80
    for values in history:
        expected = {"depth", "learning_rate", "epochs"}
        expected |= {
            f"layer_{i}/{k}" for i in range(1, values["depth"] + 1) for k in ("units", "residual")
        }
        assert set(values) == expected
    assert {values["depth"] for values in history} == {1, 2, 3}


def test_tiny_space_stops_when_exhausted_without_repeats(tmp_path):
    oracle = _make(
        tmp_path,
        "tiny",
        hyperparameters=flat_space(num_hps=2, num_values=2),
        max_trials=10,
        population_size=2,
        sample_size=2,
        seed=0,
    )
    history = run(oracle, 10)
    assert len(history) == 4
    assert len({json.dumps(v, sort_keys=True) for v in history}) == 4
    trial = oracle.create_trial("tuner0")
    assert trial.status == TrialStatus.STOPPED
    assert len(oracle.trials) == 4


def test_asynchronous_trials_are_all_distinct(tmp_path):
    oracle = _make(tmp_path, "async", max_trials=60, population_size=6, sample_size=2, seed=1)
    run(oracle, 10)
    running = [oracle.create_trial(f"tuner{i}") for i in range(8)]
    assert all(trial.status == TrialStatus.RUNNING for trial in running)
    proposed = [json.dumps(t.hyperparameters.values, sort_keys=True) for t in running]
    tried = [json.dumps(t.hyperparameters.values, sort_keys=True) for t in oracle.trials.values()]
    assert len(set(proposed)) == 8
    assert len(set(tried)) == len(tried) == 18
    # Finishing them out of order keeps the search going.
    for trial in reversed(running):
        finish(oracle, trial, matches(trial.hyperparameters.values))
    assert oracle.create_trial("tuner0").status == TrialStatus.RUNNING


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"population_size": 0}, "`population_size` must be a positive integer"),
        ({"population_size": 2.5}, "`population_size` must be a positive integer"),
        ({"sample_size": -1}, "`sample_size` must be a positive integer"),
        ({"sample_size": True}, "`sample_size` must be a positive integer"),
        ({"mutations": 0}, "`mutations` must be a positive integer"),
        (
            {"population_size": 4, "sample_size": 5},
            r"`sample_size`.*at most `population_size`.*Received: sample_size=5",
        ),
    ],
)
def test_invalid_arguments_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        RegularizedEvolutionOracle(hyperparameters=flat_space(), **kwargs)


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
    # The first `population_size` (10) trials are random; the evolved ones that follow must
    # move towards fewer mismatches.
    random_phase = [mismatches(v) for v in history[:10]]
    evolved = [mismatches(v) for v in history[10:40]]
    assert min(mismatches(v) for v in history) == 0
    assert np.mean(evolved) < np.mean(random_phase) - 1.0
    assert minimising.get_best_trials(1)[0].score == 0
