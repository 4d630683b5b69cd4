"""Tests for the zero-cost pre-filter and warm start of the keras-nas oracles (no training:
the proxy is a toy function of the values)."""

import json
import math

import pytest

from keras_nas.estimation import ZeroCostFilter
from keras_nas.oracles import RegularizedEvolutionOracle, ReinforceOracle
from tests.messages import assert_mentions
from tests.oracles.toy import finish, make_oracle, matches, run


class CountingScore:
    """A toy proxy (`matches`) that records what it scored, per trial being created."""

    def __init__(self, broken=()):
        self.rounds = [[]]
        self.broken = broken  # Values (as JSON) whose scoring raises.

    def __call__(self, values):
        self.rounds[-1].append(dict(values))
        if json.dumps(values, sort_keys=True) in self.broken:
            raise RuntimeError("cannot build")
        return float(matches(values))

    def next_round(self):
        self.rounds.append([])


def _evolution(tmp_path, name="evolution", **kwargs):
    kwargs.setdefault("zero_cost", ZeroCostFilter("synflow", candidates=4))
    oracle = make_oracle(
        tmp_path,
        name,
        RegularizedEvolutionOracle,
        max_trials=12,
        population_size=3,
        sample_size=2,
        seed=0,
        **kwargs,
    )
    return oracle


def _drive(oracle, score, trials):
    """Runs `trials` trials, one scoring round each; returns the trials."""
    created = []
    for _ in range(trials):
        score.next_round()
        trial = oracle.create_trial("tuner0")
        created.append(trial)
        finish(oracle, trial, matches(trial.hyperparameters.values))
    return created


@pytest.mark.parametrize("oracle_class", [RegularizedEvolutionOracle, ReinforceOracle])
def test_each_trial_is_the_best_of_distinct_untried_proposals(tmp_path, oracle_class):
    oracle = make_oracle(
        tmp_path,
        "prefiltered",
        oracle_class,
        max_trials=10,
        seed=0,
        zero_cost=ZeroCostFilter("naswot", candidates=4),
    )
    oracle.candidate_score = score = CountingScore()
    tried = []
    for trial, scored in zip(_drive(oracle, score, 8), score.rounds[1:], strict=True):
        keys = [json.dumps(values, sort_keys=True) for values in scored]
        assert len(scored) == 4 and len(set(keys)) == 4
        assert not any(values in tried for values in scored)
        chosen = trial.hyperparameters.values
        best = max(scored, key=matches)
        assert matches(chosen) == matches(best) and chosen in scored
        assert trial.metrics.get_last_value("zero_cost/naswot") == matches(chosen)
        tried.append(chosen)


def test_a_candidate_that_cannot_be_scored_is_never_chosen_over_one_that_can(tmp_path):
    oracle = _evolution(tmp_path)
    score = CountingScore()
    broken = set()

    def scorer(values):
        # Every other candidate fails; the best scorable one must win.
        if len(score.rounds[-1]) % 2 == 0:
            broken.add(json.dumps(values, sort_keys=True))
        score.broken = broken
        return score(values)

    oracle.candidate_score = scorer
    for trial in _drive(oracle, score, 5):
        chosen = json.dumps(trial.hyperparameters.values, sort_keys=True)
        assert chosen not in broken
        assert trial.metrics.get_last_value("zero_cost/synflow") == matches(
            trial.hyperparameters.values
        )


def test_warm_start_fills_the_first_population_with_the_best_of_the_pool(tmp_path):
    oracle = _evolution(tmp_path, zero_cost=ZeroCostFilter("synflow", candidates=1, warm_start=30))
    oracle.candidate_score = score = CountingScore()
    first = _drive(oracle, score, 3)  # population_size=3: drawn at random, so from the pool
    pool = score.rounds[1]
    assert len(pool) == 30 and len({json.dumps(v, sort_keys=True) for v in pool}) == 30
    best_three = sorted((matches(values) for values in pool), reverse=True)[:3]
    assert [matches(trial.hyperparameters.values) for trial in first] == best_three
    assert all(round_ == [] for round_ in score.rounds[2:])  # The pool is scored once.


def test_the_pool_is_saved_and_not_scored_again_after_a_reload(tmp_path):
    zero_cost = ZeroCostFilter("synflow", candidates=2, warm_start=10)
    oracle = _evolution(tmp_path, zero_cost=zero_cost)
    oracle.candidate_score = CountingScore()
    run(oracle, 2)
    resumed = _evolution(tmp_path, zero_cost=zero_cost)
    resumed.reload()
    resumed.candidate_score = score = CountingScore()
    trial = resumed.create_trial("tuner0")
    assert score.rounds == [[]]  # Both proposals came from the saved, scored pool.
    assert trial.metrics.get_last_value("zero_cost/synflow") == matches(
        trial.hyperparameters.values
    )


def test_a_pool_scored_by_another_proxy_is_drawn_again_after_a_reload(tmp_path):
    oracle = _evolution(tmp_path, zero_cost=ZeroCostFilter("synflow", candidates=2, warm_start=5))
    oracle.candidate_score = CountingScore()
    run(oracle, 1)
    zero_cost = ZeroCostFilter("naswot", candidates=2, warm_start=5)
    resumed = _evolution(tmp_path, zero_cost=zero_cost)
    with pytest.warns(UserWarning, match="`zero_cost` is"):
        resumed.reload()
    resumed.candidate_score = score = CountingScore()
    resumed.create_trial("tuner0")
    assert len(score.rounds[0]) == 5  # The new pool, scored by the new proxy.


def test_the_same_seed_gives_the_same_trials(tmp_path):
    def trials(name):
        oracle = _evolution(tmp_path, name)
        oracle.candidate_score = CountingScore()
        return run(oracle, 8)

    assert trials("first") == trials("second")


def test_a_proxy_that_fails_on_every_candidate_stops_the_search_before_training(tmp_path):
    oracle = _evolution(tmp_path)

    def unscorable(values):
        raise TypeError("naswot found no ReLU")

    oracle.candidate_score = unscorable
    with pytest.raises(ValueError) as error:
        oracle.create_trial("tuner0")
    assert_mentions(str(error.value), "No candidate could be scored", "'synflow'", "no ReLU")
    assert oracle.trials == {}


def test_the_pool_file_holds_the_filter_and_null_for_scores_that_are_not_finite(tmp_path):
    zero_cost = ZeroCostFilter("synflow", candidates=1, warm_start=6)
    oracle = _evolution(tmp_path, zero_cost=zero_cost)
    oracle.candidate_score = lambda values: math.nan if values["op_0"] == "a" else matches(values)
    run(oracle, 1)
    saved = json.loads((tmp_path / "evolution" / "zero_cost_pool.json").read_text())
    assert saved["filter"] == zero_cost.get_config() and len(saved["pool"]) == 6
    scores = [entry["score"] for entry in saved["pool"]]
    finite = [score for score in scores if score is not None]
    assert finite == sorted(finite, reverse=True) and scores[: len(finite)] == finite
    nan_count = sum(entry["values"]["op_0"] == "a" for entry in saved["pool"])
    assert scores.count(None) == nan_count


def test_a_filter_without_a_scorer_is_refused_before_any_trial(tmp_path):
    oracle = _evolution(tmp_path)
    with pytest.raises(ValueError) as error:
        oracle.create_trial("tuner0")
    assert_mentions(str(error.value), "candidate_score", "EvolutionarySearch", "Received")
    assert oracle.trials == {}


def test_zero_cost_must_be_a_filter(tmp_path):
    with pytest.raises(ValueError, match="`zero_cost` must be a .*Received: zero_cost='naswot'"):
        _evolution(tmp_path, zero_cost="naswot")


def test_filter_arguments_are_checked():
    with pytest.raises(ValueError) as error:
        ZeroCostFilter("synflo")
    assert_mentions(str(error.value), "Accepted", "'naswot'", "'synflow'", "Received: 'synflo'")
    with pytest.raises(ValueError, match="`candidates` must be a positive integer"):
        ZeroCostFilter(candidates=0)
    with pytest.raises(ValueError, match="`warm_start` must be an integer of at least 0"):
        ZeroCostFilter(warm_start=-1)
    with pytest.raises(ValueError, match="ranks nothing"):
        ZeroCostFilter(candidates=1)


def test_filter_config_round_trips_and_chooses_the_first_best_score():
    zero_cost = ZeroCostFilter("snip", candidates=3, warm_start=5, batch_size=32, seed=7)
    assert ZeroCostFilter.from_config(zero_cost.get_config()).get_config() == {
        "proxy": "snip",
        "candidates": 3,
        "warm_start": 5,
        "batch_size": 32,
        "seed": 7,
    }
    assert zero_cost.best_index([1.0, math.inf, 3.0, 3.0, math.nan]) == 2
    assert zero_cost.best_index([math.nan, -math.inf]) == 0
