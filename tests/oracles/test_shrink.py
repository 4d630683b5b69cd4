"""Sampling within a tight constraint: a candidate the constraint rejects is shrunk toward
the space's smallest options (`keras_nas.oracles.shrink`), and a constraint that no
candidate meets ends the search at once, saying the smallest value and what to change."""

import keras_tuner
import pytest
from keras_tuner.engine.trial import TrialStatus

from keras_nas.objectives import ConstraintCheck
from keras_nas.oracles import RegularizedEvolutionOracle, ReinforceOracle
from keras_nas.oracles.shrink import MAX_SHRINK_STEPS
from tests.messages import assert_mentions
from tests.oracles.toy import make_oracle, run

ORACLES = [RegularizedEvolutionOracle, ReinforceOracle]
#: Block types and what each costs per unit of width, listed largest first on purpose: the
#: oracle must learn their order from the measurements.
BLOCK_COST = {"resnet": 8, "conv": 4, "separable": 1}


def _widths_space(num_hps=8):
    hp = keras_tuner.HyperParameters()
    for i in range(num_hps):
        hp.Choice(f"layer_{i}/width", [1, 2, 3, 4])
    return hp


def _width_sum(values):
    return sum(value for name, value in values.items() if name.endswith("/width"))


def _at_most(limit, calls=None):
    """A constraint as a plain function that returns the reason (no measured usage)."""

    def constraint(values):
        if calls is not None:
            calls.append(dict(values))
        size = _width_sum(values)
        return None if size <= limit else f"size {size}, over max_size={limit}"

    return constraint


def _blocks_space(num_stages=4):
    hp = keras_tuner.HyperParameters()
    for i in range(1, num_stages + 1):
        hp.Choice(f"stage_{i}/block", list(BLOCK_COST))
        hp.Choice(f"stage_{i}/width", [1, 2, 3, 4])
    return hp


def _blocks_size(values):
    stages = {name.split("/")[0] for name in values}
    return sum(BLOCK_COST[values[f"{s}/block"]] * values[f"{s}/width"] for s in stages)


def _measured_at_most(limit, calls=None):
    """A constraint that measures, as `NASTuner`'s does: a `ConstraintCheck` with usage."""

    def constraint(values):
        if calls is not None:
            calls.append(dict(values))
        size = _blocks_size(values)
        reason = None if size <= limit else f"{size} units, over max_units={limit}"
        return ConstraintCheck(reason=reason, usage=size / limit)

    return constraint


def _oracle(tmp_path, name, oracle_class, hyperparameters, max_trials, seed=0):
    kwargs = {"population_size": 4, "sample_size": 2} if oracle_class in ORACLES[:1] else {}
    return make_oracle(
        tmp_path,
        name,
        oracle_class,
        max_trials=max_trials,
        seed=seed,
        hyperparameters=hyperparameters,
        **kwargs,
    )


@pytest.mark.parametrize("oracle_class", ORACLES)
def test_a_constraint_random_draws_almost_never_meet_still_gives_every_trial(
    tmp_path, oracle_class
):
    # 8 choices of 1 to 4: 45 of the 65,536 candidates sum to at most 10 (1 in 1,456), so
    # 100 random draws find one about 7 times in 100.
    oracle = _oracle(tmp_path, "tight", oracle_class, _widths_space(), max_trials=10)
    oracle.constraint = _at_most(10)
    proposed = run(oracle, 10, score_fn=_width_sum)

    assert len(proposed) == 10
    assert all(_width_sum(values) <= 10 for values in proposed)
    assert all(t.status == TrialStatus.COMPLETED for t in oracle.trials.values())


@pytest.mark.parametrize("oracle_class", ORACLES)
def test_a_measured_constraint_teaches_the_oracle_which_options_are_small(tmp_path, oracle_class):
    # Within 8 units, most stages must be "separable" and narrow: 82 of the 20,736
    # candidates (1 in 253), so 100 random draws miss them about 2 times in 3.
    calls = []
    oracle = _oracle(tmp_path, "blocks", oracle_class, _blocks_space(), max_trials=8)
    oracle.constraint = _measured_at_most(8, calls)
    proposed = run(oracle, 8, score_fn=_blocks_size)

    assert len(proposed) == 8
    assert all(_blocks_size(values) <= 8 for values in proposed)
    assert oracle.option_order("stage_1/block") == ["separable", "conv", "resnet"]
    assert oracle.option_order("stage_1/width") == [1, 2, 3, 4]
    assert len(calls) < 8 * 100  # Far fewer checks than 100 random draws per trial.


def test_candidates_within_the_constraint_are_proposed_unchanged(tmp_path):
    # A constraint that every candidate meets changes nothing: the same sequence as none.
    free = _oracle(tmp_path, "free", ReinforceOracle, _blocks_space(), max_trials=6, seed=3)
    checked = _oracle(tmp_path, "checked", ReinforceOracle, _blocks_space(), max_trials=6, seed=3)
    checked.constraint = _measured_at_most(1000)

    assert run(checked, 6, score_fn=_blocks_size) == run(free, 6, score_fn=_blocks_size)


@pytest.mark.parametrize("oracle_class", ORACLES)
def test_repair_is_deterministic_under_a_seed(tmp_path, oracle_class):
    runs = []
    for name in ("first", "second"):
        oracle = _oracle(tmp_path, name, oracle_class, _blocks_space(), max_trials=6, seed=5)
        oracle.constraint = _measured_at_most(10)
        runs.append(run(oracle, 6, score_fn=_blocks_size))
    assert runs[0] == runs[1] and len(runs[0]) == 6


@pytest.mark.parametrize("oracle_class", ORACLES)
def test_a_reloaded_search_repairs_as_the_uninterrupted_one(tmp_path, oracle_class):
    def oracle(name, seed=5):
        made = _oracle(tmp_path, name, oracle_class, _blocks_space(), max_trials=10, seed=seed)
        made.constraint = _measured_at_most(10)  # In memory, as a tuner sets it.
        return made

    expected = run(oracle("full"), 10, score_fn=_blocks_size)
    interrupted = oracle("resumed")
    assert run(interrupted, 4, score_fn=_blocks_size) == expected[:4]
    interrupted.save()
    assert interrupted.get_state()["option_order"]["stage_1/block"][0] == "separable"

    reloaded = oracle("resumed", seed=99)
    reloaded.reload()
    assert run(reloaded, 6, score_fn=_blocks_size) == expected[4:]


def test_an_impossible_constraint_stops_at_once_naming_the_smallest_candidate(tmp_path, capsys):
    # Every width is at least 1, so the smallest candidate sums to 8: over a limit of 5.
    calls = []
    oracle = _oracle(tmp_path, "impossible", ReinforceOracle, _widths_space(), max_trials=5)
    oracle.constraint = _at_most(5, calls)

    assert oracle.create_trial("tuner0").status == TrialStatus.STOPPED
    err = capsys.readouterr().err
    assert_mentions(
        err,
        "after 0 trials",
        "smallest candidate",
        "size 8, over max_size=5",
        "layer_0/width=1",
        "layer_7/width=1",
        "raise the limit",
    )
    # The smallest corner is reached in at most one check per step, then nothing is drawn.
    assert len(calls) <= MAX_SHRINK_STEPS + 1
    assert oracle.create_trial("tuner0").status == TrialStatus.STOPPED
    assert len(calls) <= MAX_SHRINK_STEPS + 1


def test_an_impossible_measured_constraint_names_the_smallest_value_found(tmp_path, capsys):
    # The smallest candidate is every stage "separable" of width 1: 4 units, over 3.
    oracle = _oracle(tmp_path, "impossible", RegularizedEvolutionOracle, _blocks_space(), 5)
    oracle.constraint = _measured_at_most(3)

    assert oracle.create_trial("tuner0").status == TrialStatus.STOPPED
    err = capsys.readouterr().err
    assert_mentions(
        err,
        "after 0 trials",
        "4 units, over max_units=3",
        "stage_1/block='separable'",
        "stage_4/width=1",
    )


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("oracle_class", ORACLES)
def test_a_choice_repair_cannot_order_never_makes_the_search_stop_early(
    tmp_path, oracle_class, seed
):
    # A log-sampled Int is shrunk by halving; a Float is not shrunk at all. Neither may
    # count as "at its smallest" unless it is at its minimum: about 30% of random candidates
    # fit, so the search must run all its trials.
    hp = keras_tuner.HyperParameters()
    hp.Int("units", 1, 64, sampling="log")
    hp.Choice("w", [1, 2, 3])
    hp.Float("rate", 0.1, 0.9)
    oracle = _oracle(tmp_path, f"log_{seed}", oracle_class, hp, max_trials=6, seed=seed)
    oracle.constraint = lambda v: None if v["units"] + v["w"] <= 4 else "over 4"

    proposed = run(oracle, 6, score_fn=lambda v: v["units"])
    assert len(proposed) == 6
    assert all(values["units"] + values["w"] <= 4 for values in proposed)


@pytest.mark.parametrize("oracle_class", ORACLES)
def test_a_reloaded_search_repairs_as_the_uninterrupted_one_with_cost_neutral_choices(
    tmp_path, oracle_class
):
    # A dropout choice changes nothing that is measured: repair leaves it alone once it has
    # seen so, from what it measured in that repair only, so a reload takes the same path.
    def space():
        hp = _blocks_space()
        for i in range(1, 5):
            hp.Choice(f"stage_{i}/dropout", [0.0, 0.1, 0.2, 0.3])
        return hp

    def oracle(name, seed=7):
        made = _oracle(tmp_path, name, oracle_class, space(), max_trials=10, seed=seed)
        made.constraint = _measured_at_most(10)
        return made

    def size(values):
        return _blocks_size({k: v for k, v in values.items() if not k.endswith("dropout")})

    expected = run(oracle("full"), 10, score_fn=size)
    interrupted = oracle("resumed")
    assert run(interrupted, 5, score_fn=size) == expected[:5]
    interrupted.save()
    reloaded = oracle("resumed", seed=99)
    reloaded.reload()
    assert run(reloaded, 5, score_fn=size) == expected[5:]
