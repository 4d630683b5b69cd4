"""Property-based tests that oracle state round-trips: save, reload, continue identically.

Hypothesis draws the constructor arguments, the seed and the outcome of each trial (a score,
or a failure), drives an oracle through those trials on the toy space of `toy.py` without
training, and reloads a copy of its project directory into a fresh oracle with the same
arguments. The copy must hold the same state and trial records, and the two oracles must then
propose the same architectures and end in the same state: the random state and everything
the search learned travel through the saved files, which hold JSON and numpy arrays only.
"""

import json
import math
import os
import shutil
import tempfile

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from keras_tuner.engine.trial import TrialStatus

from keras_nas.oracles import RegularizedEvolutionOracle, ReinforceOracle
from tests.oracles.toy import finish, make_oracle

ORACLES = (RegularizedEvolutionOracle, ReinforceOracle)
PROJECT = "search"
#: The toy space holds 4**6 architectures: far more than any test proposes.
MAX_TRIALS = 100
#: Failures in a row never stop these searches (KerasTuner's limit is a separate concern).
MAX_FAILURES = 1000
FAILED = None  # The outcome of a trial that fails.

seeds = st.integers(0, 2**32 - 1)
# Scores that a Keras metric can report (float32), mostly of an ordinary size.
scores = st.floats(-10.0, 10.0) | st.floats(-3.4e38, 3.4e38)
outcomes = st.lists(scores, max_size=12)
continuations = st.lists(scores, min_size=1, max_size=5)
mixed_outcomes = st.lists(scores | st.just(FAILED), max_size=12)


@st.composite
def evolution_kwargs(draw):
    population_size = draw(st.integers(1, 6))
    return {
        "population_size": population_size,
        "sample_size": draw(st.integers(1, population_size)),
        "mutations": draw(st.integers(1, 3)),
        "seed": draw(seeds),
    }


@st.composite
def reinforce_kwargs(draw):
    return {
        "learning_rate": draw(st.floats(0.01, 1.0)),
        "entropy_weight": draw(st.floats(0.0, 0.1)),
        "baseline_decay": draw(st.floats(0.0, 0.99)),
        "seed": draw(seeds),
    }


KWARGS = {RegularizedEvolutionOracle: evolution_kwargs(), ReinforceOracle: reinforce_kwargs()}


def new_oracle(directory, oracle_class, kwargs):
    return make_oracle(
        directory,
        PROJECT,
        oracle_class,
        max_trials=MAX_TRIALS,
        max_consecutive_failed_trials=MAX_FAILURES,
        **kwargs,
    )


def drive(oracle, trial_outcomes):
    """Runs one trial per outcome (a score, or `FAILED`); returns the proposed values."""
    proposed = []
    for outcome in trial_outcomes:
        trial = oracle.create_trial("tuner0")
        assert trial.status == TrialStatus.RUNNING
        proposed.append(dict(trial.hyperparameters.values))
        if outcome is FAILED:
            trial.status = TrialStatus.FAILED
            trial.message = "ValueError: a toy failure"
            oracle.end_trial(trial)
        else:
            finish(oracle, trial, outcome)
    # As a tuner does (`BaseTuner.on_trial_end`): save once the trial has left
    # `ongoing_trials`, or a reload runs the last trial again.
    oracle.save()
    return proposed


def strict_json(obj):
    """`json.dumps` that fails on NaN and infinities, which JSON does not have."""
    return json.dumps(obj, allow_nan=False, sort_keys=True)


def comparable(state):
    """The state as JSON values; `tried_so_far` is a set that KerasTuner saves as a list."""
    state = json.loads(strict_json(state))
    state["tried_so_far"] = sorted(state["tried_so_far"])
    # Seconds are measured, so they differ between two runs; which trials ended does not.
    state["time"] = sorted(state["time"]["ended_at"])
    return state


def trial_records(oracle):
    return {
        trial_id: json.loads(strict_json(t.get_state())) for trial_id, t in oracle.trials.items()
    }


def learned(oracle):
    """What the search learned beyond its trials: the policy of a `ReinforceOracle`."""
    if not isinstance(oracle, ReinforceOracle):
        return None
    return {hp.name: oracle.probabilities(hp.name) for hp in oracle.hyperparameters.space}


def assert_plain_files(project_dir):
    """Every saved file is strict JSON or a numpy archive that loads without pickle."""
    for root, _, names in os.walk(project_dir):
        for name in names:
            path = os.path.join(root, name)
            if name.endswith(".json"):
                with open(path) as file:
                    json.load(file, parse_constant=_reject_constant)
            else:
                assert name.endswith(".npz"), path
                with np.load(path, allow_pickle=False) as arrays:
                    assert all(arrays[key].dtype != object for key in arrays.files), path


def _reject_constant(name):
    raise AssertionError(f"{name} is not JSON")


def assert_round_trip(oracle_class, kwargs, trial_outcomes, continuation):
    """Drives, saves, reloads a copy and continues both; returns the original oracle and
    everything it proposed."""
    directory = tempfile.mkdtemp()
    try:
        first, second = os.path.join(directory, "first"), os.path.join(directory, "second")
        original = new_oracle(first, oracle_class, kwargs)
        proposed = drive(original, trial_outcomes)
        saved = comparable(original.get_state())
        assert_plain_files(os.path.join(first, PROJECT))
        shutil.copytree(os.path.join(first, PROJECT), os.path.join(second, PROJECT))

        reloaded = new_oracle(second, oracle_class, kwargs)
        reloaded.reload()

        assert comparable(reloaded.get_state()) == saved
        assert trial_records(reloaded) == trial_records(original)
        assert learned(reloaded) == learned(original)
        # The same random state, population and policy: the same next architectures.
        continued = drive(reloaded, continuation)
        assert continued == drive(original, continuation)
        assert comparable(reloaded.get_state()) == comparable(original.get_state())
        assert trial_records(reloaded) == trial_records(original)
        assert learned(reloaded) == learned(original)
        assert_plain_files(os.path.join(second, PROJECT))
        return original, proposed + continued
    finally:
        shutil.rmtree(directory)


@settings(max_examples=10, deadline=None)
@given(kwargs=evolution_kwargs(), trial_outcomes=outcomes, continuation=continuations)
def test_evolution_state_round_trips_and_reload_continues(kwargs, trial_outcomes, continuation):
    oracle, proposed = assert_round_trip(
        RegularizedEvolutionOracle, kwargs, trial_outcomes, continuation
    )
    assert len(proposed) == len(trial_outcomes) + len(continuation)
    population = oracle.completed_trials()[-kwargs["population_size"] :]
    assert [t.score for t in population] == (trial_outcomes + continuation)[-len(population) :]


@settings(max_examples=10, deadline=None)
@given(kwargs=reinforce_kwargs(), trial_outcomes=outcomes, continuation=continuations)
def test_reinforce_state_round_trips_and_reload_continues(kwargs, trial_outcomes, continuation):
    oracle, _ = assert_round_trip(ReinforceOracle, kwargs, trial_outcomes, continuation)
    assert oracle.get_state()["policy_step"] == len(trial_outcomes) + len(continuation)


@settings(max_examples=5, deadline=None)
@given(
    kwargs=reinforce_kwargs(),
    trial_outcomes=st.lists(st.floats(allow_nan=False, allow_infinity=False), max_size=8),
    continuation=st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=3),
)
def test_reinforce_takes_any_finite_score(kwargs, trial_outcomes, continuation):
    # Scores beyond 1e154 once raised an OverflowError in `end_trial` (the squared advantage).
    oracle, _ = assert_round_trip(ReinforceOracle, kwargs, trial_outcomes, continuation)
    assert oracle.get_state()["policy_step"] == len(trial_outcomes) + len(continuation)
    for probabilities in learned(oracle).values():
        assert all(math.isfinite(p) for p in probabilities)
        assert math.isclose(sum(probabilities), 1.0)


@settings(max_examples=10, deadline=None)
@given(
    oracle_class=st.sampled_from(ORACLES),
    data=st.data(),
    trial_outcomes=mixed_outcomes,
    continuation=st.lists(scores | st.just(FAILED), min_size=1, max_size=5),
)
def test_failed_trials_round_trip_and_never_count_as_results(
    oracle_class, data, trial_outcomes, continuation
):
    kwargs = data.draw(KWARGS[oracle_class])
    oracle, proposed = assert_round_trip(oracle_class, kwargs, trial_outcomes, continuation)
    everything = trial_outcomes + continuation
    completed = [outcome for outcome in everything if outcome is not FAILED]

    # A failed architecture counts as tried: nothing is proposed twice.
    assert len({json.dumps(values, sort_keys=True) for values in proposed}) == len(proposed)
    statuses = [oracle.trials[trial_id].status for trial_id in oracle.end_order]
    assert statuses == [
        TrialStatus.FAILED if outcome is FAILED else TrialStatus.COMPLETED for outcome in everything
    ]
    assert [trial.score for trial in oracle.completed_trials()] == completed
    summary = oracle.search_summary()
    if oracle_class is RegularizedEvolutionOracle:
        population = completed[-kwargs["population_size"] :]
        if population:
            assert summary["population/size"] == len(population)
            assert summary["population/best"] == max(population)
        else:
            assert summary == {}
    else:
        assert oracle.get_state()["policy_step"] == len(completed)
        assert ("baseline" in summary) == bool(completed)
