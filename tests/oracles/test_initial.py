"""`initial_architectures=[...]`: tried first, in order, checked against the space."""

import json

import pytest

from keras_nas.oracles import RegularizedEvolutionOracle, ReinforceOracle
from tests.messages import assert_mentions
from tests.oracles.toy import TARGET, make_oracle, run

BEST = {f"op_{i}": value for i, value in enumerate(TARGET)}


def _make(tmp_path, name, initial, oracle_class=RegularizedEvolutionOracle, **kwargs):
    kwargs.setdefault("max_trials", 8)
    if oracle_class is RegularizedEvolutionOracle:
        kwargs.update(population_size=3, sample_size=2)
    return make_oracle(
        tmp_path, name, oracle_class, seed=0, initial_architectures=initial, **kwargs
    )


@pytest.mark.parametrize("oracle_class", [RegularizedEvolutionOracle, ReinforceOracle])
def test_the_initial_architectures_come_first_completed_with_defaults(tmp_path, oracle_class):
    oracle = _make(tmp_path, "first", [BEST, {"op_0": "d"}, BEST], oracle_class)
    history = run(oracle, 8)
    assert history[0] == BEST
    assert history[1] == {"op_0": "d", **{f"op_{i}": "a" for i in range(1, 6)}}
    assert BEST not in history[2:]  # Given twice, tried once.
    assert len({json.dumps(values, sort_keys=True) for values in history}) == 8


def test_a_resumed_search_goes_on_with_the_next_initial_architecture(tmp_path):
    second = {"op_0": "c", "op_1": "c"}
    oracle = _make(tmp_path, "resumed", [BEST, second])
    run(oracle, 1)
    oracle.save()
    state = json.loads(json.dumps(oracle.get_state()))
    reloaded = _make(tmp_path, "resumed", [BEST, second])
    reloaded.set_state(state)
    assert run(reloaded, 1)[0]["op_1"] == "c"


def test_the_control_takes_its_share_after_the_initial_architectures(tmp_path):
    initial = [{"op_0": value} for value in "abcd"] + [{"op_1": "b"}]
    oracle = _make(
        tmp_path, "control", initial, max_trials=12, baseline="random", baseline_share=0.25
    )
    run(oracle, 12)
    # Five initial trials, then every 4th of the rest.
    assert [tid for tid in sorted(oracle.trials) if oracle.is_control(tid)] == ["08"]
    assert oracle.get_state()["initial_trials"] == ["00", "01", "02", "03", "04"]


def test_an_initial_architecture_outside_the_constraints_is_skipped_with_a_warning(tmp_path):
    oracle = _make(tmp_path, "limited", [{"op_0": "d"}, BEST])
    oracle.constraint = lambda values: "over max_params" if values["op_0"] == "d" else None
    with pytest.warns(UserWarning, match=r"initial_architectures\[0\] breaks the search's"):
        history = run(oracle, 3)
    assert history[0] == BEST
    assert all(values["op_0"] != "d" for values in history)


@pytest.mark.parametrize(
    "initial, kwargs, mentions",
    [
        (
            [{"op_9": "a"}],
            {"allow_new_entries": False},
            ["initial_architectures[0] names ['op_9']", "'op_0'", "'op_5'"],
        ),
        ([BEST, {"op_2": "z"}], {}, ["initial_architectures[1] gives `op_2` the value 'z'"]),
        ([{"op_2": 1}], {}, ["gives `op_2` the value 1, which it does not allow (one of"]),
    ],
)
def test_a_name_or_value_the_space_lacks_stops_before_any_trial(
    tmp_path, initial, kwargs, mentions
):
    oracle = _make(tmp_path, "bad", initial, **kwargs)
    with pytest.raises(ValueError) as raised:
        oracle.create_trial("tuner0")
    assert_mentions(str(raised.value), *mentions)
    assert oracle.trials == {}


def test_a_name_a_build_function_has_not_read_yet_goes_to_it_with_a_warning(tmp_path):
    oracle = _make(tmp_path, "new", [{"op_0": "b", "units_2": 64}])
    with pytest.warns(UserWarning, match=r"name \['units_2'\], which the search space"):
        trial = oracle.create_trial("tuner0")
    assert trial.hyperparameters.values["units_2"] == 64


@pytest.mark.parametrize("initial", [BEST, [["op_0", "a"]], [{"op_0": ["a"]}], "best"])
def test_initial_architectures_that_are_not_a_list_of_dicts_are_refused(tmp_path, initial):
    with pytest.raises(ValueError) as raised:
        _make(tmp_path, "bad", initial)
    assert_mentions(str(raised.value), "`initial_architectures` must be a list of dicts")
