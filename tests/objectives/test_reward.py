"""`mnasnet_reward`: hand values of the soft and the hard constraint, and each error."""

import math

import pytest

from keras_nas.objectives import mnasnet_reward
from tests.messages import raises_mentioning


@pytest.fixture(autouse=True)
def _fresh_keras_session():
    """Overrides the suite's fixture: nothing here uses Keras, so no session to clear."""
    yield


def raises(*facts):
    return raises_mentioning(ValueError, *facts)


def test_the_soft_constraint():
    assert mnasnet_reward(0.75, 80.0, 80.0) == 0.75
    assert mnasnet_reward(0.75, 160.0, 80.0) == 0.75 * 2.0**-0.07
    assert mnasnet_reward(0.75, 40.0, 80.0) == 0.75 * 0.5**-0.07
    assert round(mnasnet_reward(0.75, 160.0, 80.0), 6) == 0.714478
    assert round(mnasnet_reward(0.75, 40.0, 80.0), 6) == 0.787288


def test_the_hard_constraint_and_separate_exponents():
    assert mnasnet_reward(0.75, 40.0, 80.0, alpha=0.0, beta=-1.0) == 0.75
    assert mnasnet_reward(0.75, 80.0, 80.0, alpha=0.0, beta=-1.0) == 0.75
    assert mnasnet_reward(0.75, 160.0, 80.0, alpha=0.0, beta=-1.0) == 0.375
    # `alpha` below the target, `beta` above it; at the target the factor is 1 either way.
    assert mnasnet_reward(0.5, 40.0, 80.0, alpha=-1.0, beta=0.0) == 1.0
    assert mnasnet_reward(0.5, 160.0, 80.0, alpha=-1.0, beta=0.0) == 0.5


def test_any_cost_in_the_unit_of_its_target():
    assert mnasnet_reward(0.9, 600_000_000, 300_000_000) == 0.9 * 2.0**-0.07
    assert mnasnet_reward(0, 3, 1) == 0.0
    assert isinstance(mnasnet_reward(1, 1, 1), float)


@pytest.mark.parametrize("accuracy", [-0.1, math.nan, math.inf, None, True, "0.9"])
def test_accuracy_must_be_a_finite_number_at_least_0(accuracy):
    with raises("`accuracy`", "finite number of at least 0", f"Received: accuracy={accuracy!r}"):
        mnasnet_reward(accuracy, 1.0, 1.0)


@pytest.mark.parametrize("name", ["latency", "target"])
@pytest.mark.parametrize("value", [0, -1.0, math.inf, math.nan, None, False])
def test_latency_and_target_must_be_positive_finite_numbers(name, value):
    arguments = {"accuracy": 0.9, "latency": 1.0, "target": 1.0, name: value}
    with raises(f"`{name}`", "finite number above 0", f"Received: {name}={value!r}"):
        mnasnet_reward(**arguments)


@pytest.mark.parametrize("name", ["alpha", "beta"])
@pytest.mark.parametrize("value", [math.inf, math.nan, None, True])
def test_exponents_must_be_finite_numbers(name, value):
    with raises(f"`{name}`", "finite number", f"Received: {name}={value!r}"):
        mnasnet_reward(0.9, 1.0, 1.0, **{name: value})


def test_the_mnasnet_objective_computes_the_reward_from_its_inputs():
    from keras_nas.objectives import MnasNetReward

    objective = MnasNetReward("val_accuracy", "flops", target=1000.0, alpha=0.0, beta=-1.0)
    assert (objective.name, objective.direction) == ("mnasnet_reward", "max")
    assert objective.inputs == ("val_accuracy", "flops")
    assert objective.compute({"val_accuracy": 0.8, "flops": 2000.0}) == 0.4
    assert objective.compute({"val_accuracy": 0.8, "flops": 500.0}) == 0.8
    assert MnasNetReward.from_config(objective.get_config()).get_config() == {
        "accuracy": "val_accuracy",
        "cost": "flops",
        "target": 1000.0,
        "alpha": 0.0,
        "beta": -1.0,
        "name": "mnasnet_reward",
    }


def test_the_mnasnet_objective_checks_its_arguments_when_made():
    from keras_nas.objectives import MnasNetReward

    with pytest.raises(ValueError, match=r"`target` must be a finite number above 0"):
        MnasNetReward(target=0.0)
    with pytest.raises(ValueError, match=r"`cost` must be the name of a metric"):
        MnasNetReward(cost="", target=1.0)
