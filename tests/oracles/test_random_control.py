"""The random control (`baseline="random"`): which trials, drawn how, learned from by none."""

import json

import pytest

from keras_nas.oracles import RegularizedEvolutionOracle, ReinforceOracle
from tests.messages import assert_mentions
from tests.oracles.toy import make_oracle, run


def _make(tmp_path, name, oracle_class=RegularizedEvolutionOracle, **kwargs):
    kwargs.setdefault("max_trials", 12)
    kwargs.setdefault("seed", 0)
    if oracle_class is RegularizedEvolutionOracle:
        kwargs.setdefault("population_size", 3)
        kwargs.setdefault("sample_size", 2)
    kwargs.setdefault("baseline_share", 0.25)
    return make_oracle(tmp_path, name, oracle_class, baseline="random", **kwargs)


def test_every_fourth_trial_is_the_control_and_never_a_population_member(tmp_path):
    oracle = _make(tmp_path, "evolution")
    populations = []
    for _ in range(12):
        run(oracle, 1)
        populations.append({trial.trial_id for trial in oracle.population()})
    control = ["03", "07", "11"]
    assert [tid for tid in sorted(oracle.trials) if oracle.is_control(tid)] == control
    assert all(not (members & set(control)) for members in populations)
    assert len(oracle.strategy_trials()) == 9


def test_a_share_of_a_third_takes_every_third_trial(tmp_path):
    oracle = _make(tmp_path, "third", baseline_share=1 / 3)
    run(oracle, 9)
    assert [tid for tid in sorted(oracle.trials) if oracle.is_control(tid)] == ["02", "05", "08"]


def test_the_policy_learns_nothing_from_the_control(tmp_path):
    oracle = _make(tmp_path, "policy", ReinforceOracle, learning_rate=0.5)
    steps = []
    for _ in range(8):
        run(oracle, 1)
        steps.append(oracle._step)
    # Trials 03 and 07 are the control: the policy does not step after them.
    assert steps == [1, 2, 3, 3, 4, 5, 6, 6]


def test_the_control_survives_a_reload(tmp_path):
    oracle = _make(tmp_path, "saved")
    run(oracle, 8)
    oracle.save()
    state = json.loads(json.dumps(oracle.get_state()))
    assert state["baseline_trials"] == ["03", "07"]
    assert state["arguments"]["baseline"] == "random"
    reloaded = _make(tmp_path, "saved")
    reloaded.set_state(state)
    assert reloaded.is_control("07") and not reloaded.is_control("06")


@pytest.mark.parametrize(
    "kwargs, mentions",
    [
        ({"baseline": "grid"}, ["`baseline` must be 'random'", "baseline='grid'"]),
        ({"baseline": "random", "baseline_share": 0}, ["strictly between 0 and 1", "=0."]),
        ({"baseline": "random", "baseline_share": 1.0}, ["baseline_share=1.0"]),
        ({"baseline": "random", "baseline_share": "0.5"}, ["baseline_share='0.5'"]),
        ({"baseline": "random", "baseline_share": True}, ["baseline_share=True"]),
        ({"baseline": "random", "baseline_share": float("nan")}, ["baseline_share=nan"]),
    ],
)
def test_bad_baseline_arguments_are_refused(tmp_path, kwargs, mentions):
    with pytest.raises(ValueError) as raised:
        make_oracle(tmp_path, "bad", RegularizedEvolutionOracle, max_trials=4, **kwargs)
    assert_mentions(str(raised.value), *mentions)


def test_by_default_the_control_takes_every_other_trial(tmp_path):
    oracle = make_oracle(
        tmp_path, "half", RegularizedEvolutionOracle, max_trials=6, seed=0, baseline="random"
    )
    run(oracle, 6)
    assert [tid for tid in sorted(oracle.trials) if oracle.is_control(tid)] == ["1", "3", "5"]
