"""Tests for the pruning rules, and for oracles that stop poor trials (no training)."""

import json
import os

import keras_tuner
import numpy as np
import pytest
from keras_tuner.engine.trial import TrialStatus

from keras_nas.estimation import STOPPED_EARLY, MedianStopping, SuccessiveHalving
from keras_nas.oracles import RegularizedEvolutionOracle, ReinforceOracle
from tests.messages import assert_mentions
from tests.oracles.toy import make_oracle

# ----------------------------------------------------------------------------- the rules


def test_median_stopping_compares_best_so_far_with_the_median_at_the_same_epoch():
    rule = MedianStopping(min_epochs=1, min_trials=3)
    others = [{0: 0.2, 1: 0.9}, {0: 0.4, 1: 0.5}, {0: 0.6, 1: 0.7}, {0: 0.1}]
    # Epoch 1: the median of 0.2, 0.4, 0.6, 0.1 is 0.3.
    assert rule.reason_to_stop({0: 0.31}, others, 0, "max") is None
    assert_mentions(
        rule.reason_to_stop({0: 0.29}, others, 0, "max"),
        "0.29 at epoch 1",
        "worse",
        "median 0.3 of 4",
    )
    # Epoch 2: three trials reached it; best-so-far values 0.9, 0.5, 0.7: median 0.7. The
    # trial's own best so far (0.8 at epoch 1) counts, not its dip at epoch 2.
    assert rule.reason_to_stop({0: 0.8, 1: 0.1}, others, 1, "max") is None
    assert "median 0.7 of 3" in rule.reason_to_stop({0: 0.6, 1: 0.65}, others, 1, "max")


def test_median_stopping_waits_for_min_epochs_and_min_trials():
    others = [{0: 0.9, 1: 0.9}, {0: 0.9, 1: 0.9}]
    assert (
        MedianStopping(min_epochs=2, min_trials=2).reason_to_stop({0: 0.1}, others, 0, "max")
        is None
    )
    assert (
        MedianStopping(min_epochs=1, min_trials=3).reason_to_stop({0: 0.1}, others, 0, "max")
        is None
    )
    assert MedianStopping(min_epochs=1, min_trials=2).reason_to_stop({0: 0.1}, others, 0, "max")


def test_median_stopping_minimises_a_min_objective():
    rule = MedianStopping(min_trials=1)
    assert rule.reason_to_stop({0: 2.0}, [{0: 1.0}], 0, "min") is not None
    assert rule.reason_to_stop({0: 0.5}, [{0: 1.0}], 0, "min") is None


def test_successive_halving_rungs_are_powers_of_the_reduction_factor():
    rule = SuccessiveHalving(min_epochs=2, reduction_factor=3)
    assert [epoch for epoch in range(1, 30) if rule.is_rung(epoch)] == [2, 6, 18]


def test_successive_halving_keeps_the_best_fraction_at_a_rung():
    rule = SuccessiveHalving(min_epochs=1, reduction_factor=3)
    others = [{0: 0.5}, {0: 0.8}, {0: 0.7}, {0: 0.2}, {0: 0.9}]
    # Six trials ranked at the rung: the best 2 go on.
    assert rule.reason_to_stop({0: 0.85}, others, 0, "max") is None  # rank 2
    assert_mentions(
        rule.reason_to_stop({0: 0.75}, others, 0, "max"),
        "0.75 at epoch 1",
        "ranks 3 of 6",
        "best 2",
    )
    # A tie with the second best shares its rank.
    assert rule.reason_to_stop({0: 0.8}, others, 0, "max") is None
    # Fewer trials at the rung than the reduction factor: everyone passes.
    assert rule.reason_to_stop({0: 0.0}, [{0: 0.9}], 0, "max") is None
    # Between rungs nothing is stopped.
    assert rule.reason_to_stop({0: 0.0, 1: 0.0}, others, 1, "max") is None


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: MedianStopping(min_epochs=0), "`min_epochs` must be a positive integer"),
        (lambda: MedianStopping(min_trials=1.5), "`min_trials` must be a positive integer"),
        (lambda: SuccessiveHalving(reduction_factor=1), "`reduction_factor` must be an integer"),
        (lambda: SuccessiveHalving(min_epochs=True), "`min_epochs` must be a positive integer"),
    ],
)
def test_rules_reject_invalid_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize(
    "rule", [MedianStopping(min_epochs=2, min_trials=4), SuccessiveHalving(reduction_factor=4)]
)
def test_rule_config_round_trips(rule):
    config = json.loads(json.dumps(rule.get_config()))
    assert type(rule).from_config(config).get_config() == rule.get_config()


# --------------------------------------------------------------------------- the oracles


def _run_epochs(oracle, trial, curve):
    """Reports `curve` epoch by epoch until the oracle stops the trial; ends it completed."""
    epochs = 0
    for step, value in enumerate(curve):
        epochs += 1
        reported = oracle.update_trial(trial.trial_id, {"score": value}, step=step)
        if reported.status == TrialStatus.STOPPED:
            break
    trial.status = TrialStatus.COMPLETED
    oracle.end_trial(trial)
    return epochs


def _pruned_oracle(tmp_path, name="pruned", oracle_class=RegularizedEvolutionOracle, **kwargs):
    kwargs.setdefault("pruning", MedianStopping(min_epochs=1, min_trials=2))
    return make_oracle(tmp_path, name, oracle_class, max_trials=10, seed=0, **kwargs)


def test_oracle_stops_a_trial_behind_the_median_and_keeps_its_best_score(tmp_path):
    oracle = _pruned_oracle(tmp_path)
    good = [0.5, 0.7, 0.9]
    assert _run_epochs(oracle, oracle.create_trial("t"), good) == 3
    assert _run_epochs(oracle, oracle.create_trial("t"), good) == 3
    poor = oracle.create_trial("t")
    assert _run_epochs(oracle, poor, [0.6, 0.4, 0.95]) == 2  # 0.6 < median 0.7 after epoch 2.
    stored = oracle.get_trial(poor.trial_id)
    assert stored.status == TrialStatus.COMPLETED
    assert stored.score == 0.6
    assert stored.message.startswith(f"{STOPPED_EARLY} at epoch 2")  # The report reads it.
    assert_mentions(stored.message, "MedianStopping", "0.6 at epoch 2", "median 0.7 of 2")
    saved = json.load(
        open(os.path.join(tmp_path, "pruned", f"trial_{poor.trial_id}", "trial.json"))
    )
    assert saved["message"].startswith(STOPPED_EARLY)
    # The best trial is unaffected, and later good trials run to the end.
    assert _run_epochs(oracle, oracle.create_trial("t"), good) == 3
    assert oracle.get_best_trials(1)[0].score == 0.9


def test_a_stopped_trial_stays_stopped_and_running_until_it_ends(tmp_path):
    oracle = _pruned_oracle(tmp_path, pruning=MedianStopping(min_trials=1))
    _run_epochs(oracle, oracle.create_trial("t"), [0.9])
    trial = oracle.create_trial("t")
    assert oracle.update_trial(trial.trial_id, {"score": 0.1}, step=0).status == "STOPPED"
    # The stored trial is still running (a tuner may report once more before it stops).
    assert oracle.get_trial(trial.trial_id).status == TrialStatus.RUNNING
    assert oracle.update_trial(trial.trial_id, {"score": 0.95}, step=1).status == "STOPPED"


def test_without_pruning_nothing_is_stopped(tmp_path):
    oracle = make_oracle(tmp_path, "plain", RegularizedEvolutionOracle, max_trials=5, seed=0)
    for curve in ([0.9, 0.9], [0.9, 0.9], [0.1, 0.1]):
        assert _run_epochs(oracle, oracle.create_trial("t"), curve) == 2
    assert all(trial.message is None for trial in oracle.trials.values())


def test_a_failed_trial_is_not_marked_stopped_early(tmp_path):
    oracle = _pruned_oracle(tmp_path, pruning=MedianStopping(min_trials=1))
    _run_epochs(oracle, oracle.create_trial("t"), [0.9])
    trial = oracle.create_trial("t")
    oracle.update_trial(trial.trial_id, {"score": 0.1}, step=0)
    trial.status = TrialStatus.FAILED
    trial.message = "NaN loss"
    oracle.end_trial(trial)
    assert oracle.get_trial(trial.trial_id).message == "NaN loss"


def test_a_stopped_trial_interrupted_by_a_crash_is_judged_again_when_it_reruns(tmp_path):
    oracle = _pruned_oracle(tmp_path, pruning=MedianStopping(min_trials=1))
    _run_epochs(oracle, oracle.create_trial("t"), [0.9, 0.9])
    trial = oracle.create_trial("t")
    assert oracle.update_trial(trial.trial_id, {"score": 0.1}, step=0).status == "STOPPED"
    oracle.save()  # The process dies before the stopped trial ends.
    reloaded = _pruned_oracle(tmp_path, pruning=MedianStopping(min_trials=1))
    reloaded.reload()
    rerun = reloaded.create_trial("t")
    assert rerun.trial_id == trial.trial_id
    # The new run starts from scratch and is judged by its own epochs, not the old stop.
    assert reloaded.update_trial(rerun.trial_id, {"score": 0.95}, step=0).status == "RUNNING"
    assert reloaded.update_trial(rerun.trial_id, {"score": 0.2}, step=1).status == "RUNNING"
    assert reloaded.trials[rerun.trial_id].metrics.get_history("score")[0].value == [0.95]


def test_pruning_needs_a_rule_and_a_single_objective(tmp_path):
    with pytest.raises(ValueError, match="`pruning` must be a `keras_nas.estimation.PruningRule`"):
        _pruned_oracle(tmp_path, pruning="median")
    with pytest.raises(ValueError, match="`pruning` needs a single objective"):
        _pruned_oracle(
            tmp_path,
            objective=[keras_tuner.Objective("a", "max"), keras_tuner.Objective("b", "min")],
        )


# ------------------------------------------------------------------------ search summary


def test_evolution_records_its_population_in_each_trial(tmp_path):
    oracle = make_oracle(
        tmp_path,
        "evo",
        RegularizedEvolutionOracle,
        max_trials=5,
        seed=0,
        population_size=2,
        sample_size=2,
    )
    values, scores = [], [0.2, 0.6, 0.4]
    for score in scores:
        trial = oracle.create_trial("t")
        values.append(trial.hyperparameters.values)
        _run_epochs(oracle, trial, [score])
    last = oracle.get_trial(trial.trial_id).metrics
    # The population is the last two trials: scores 0.6 and 0.4.
    assert last.get_last_value("search/population/size") == 2
    assert last.get_last_value("search/population/mean") == pytest.approx(0.5)
    assert last.get_last_value("search/population/best") == pytest.approx(0.6)
    differing = sum(values[1][name] != values[2][name] for name in values[1])
    assert last.get_last_value("search/population/diversity") == pytest.approx(
        differing / len(values[1])
    )


def test_reinforce_records_reward_baseline_entropy_and_probabilities(tmp_path):
    oracle = make_oracle(tmp_path, "rl", ReinforceOracle, max_trials=5, seed=0)
    for score in (1.0, 3.0):
        trial = oracle.create_trial("t")
        _run_epochs(oracle, trial, [score])
    summary = oracle.search_summary()
    assert summary["reward"] == 3.0
    assert summary["baseline"] == pytest.approx(0.7 * 1.0 + 0.3 * 3.0)
    for i in range(6):
        probabilities = [summary[f"probability/op_{i}/{value}"] for value in "abcd"]
        assert probabilities == pytest.approx(oracle.probabilities(f"op_{i}"))
        assert sum(probabilities) == pytest.approx(1.0)
    expected_entropy = -sum(
        p * np.log(p) for i in range(6) for p in oracle.probabilities(f"op_{i}")
    )
    assert summary["entropy"] == pytest.approx(expected_entropy)
    recorded = oracle.get_trial(trial.trial_id).metrics
    assert recorded.get_last_value("search/reward") == 3.0
