"""`keras_nas.oracles.constrained`: the oracle's constraint memory, what an impossible
constraint's message tells to change in the space searched, and a constraint's return type."""

import keras_tuner
import pytest
from keras_tuner.engine.trial import TrialStatus

from keras_nas.oracles import ReinforceOracle
from keras_nas.oracles.constrained import space_options
from keras_nas.search_spaces import MacroSpace, MLPSpace
from tests.messages import assert_mentions
from tests.oracles.toy import make_oracle


def _widths_space():
    hp = keras_tuner.HyperParameters()
    for i in range(3):
        hp.Choice(f"layer_{i}/width", [1, 2])
    return hp


def _impossible(tmp_path, search_space=None):
    oracle = make_oracle(
        tmp_path,
        "impossible",
        ReinforceOracle,
        max_trials=3,
        seed=0,
        hyperparameters=_widths_space(),
    )
    oracle.constraint = lambda values: f"size {sum(values.values())}, over max_size=2"
    oracle.search_space = search_space
    return oracle


def test_a_keras_nas_space_names_its_own_option_arguments():
    mlp = space_options(MLPSpace(input_shape=(8,), num_classes=2))
    assert_mentions(
        mlp, "MLPSpace", "`units=`", "`activations=`", "`dropouts=`", "`normalizations=`"
    )
    assert mlp.count("=`") == 4  # Those four arguments, no other.
    macro = space_options(MacroSpace(input_shape=(8, 8, 1), num_classes=2))
    assert_mentions(macro, "MacroSpace", "`block_types=`", "`kernels=`", "`widths=`")
    assert "input_shape" not in macro and "metrics" not in macro


def test_a_build_function_or_an_unknown_space_names_the_options_of_build():
    def build(hp):
        return None

    assert_mentions(space_options(build), "build(hp)")
    assert_mentions(space_options(None), "build(hp)")


def test_an_impossible_constraint_names_the_options_of_the_space_searched(tmp_path, capsys):
    oracle = _impossible(tmp_path, MLPSpace(input_shape=(8,), num_classes=2))

    assert oracle.create_trial("tuner0").status == TrialStatus.STOPPED
    err = capsys.readouterr().err
    space = MLPSpace(input_shape=(8,), num_classes=2)
    assert_mentions(err, "constraint", "size 3, over max_size=2", space_options(space))
    assert "MacroSpace" not in err and "widths=" not in err


def test_an_oracle_not_told_its_space_names_the_options_of_build(tmp_path, capsys):
    oracle = _impossible(tmp_path)

    assert oracle.create_trial("tuner0").status == TrialStatus.STOPPED
    assert_mentions(capsys.readouterr().err, "fixed parts", "build(hp)")


def test_a_constraint_that_returns_another_type_is_an_error(tmp_path):
    oracle = make_oracle(tmp_path, "typed", ReinforceOracle, max_trials=3, seed=0)
    oracle.constraint = lambda values: 1.5

    with pytest.raises(TypeError, match="must return a `keras_nas.objectives.ConstraintCheck`"):
        oracle.proposable({"op_0": "a"})


def test_the_learned_option_order_is_the_oracles_state(tmp_path):
    oracle = make_oracle(tmp_path, "state", ReinforceOracle, max_trials=3, seed=0)
    state = oracle.get_state()
    state["option_order"] = {"op_0": ["d", "c", "b", "a"]}
    oracle.set_state(state)

    assert oracle.option_order("op_0") == ["d", "c", "b", "a"]
    assert oracle.get_state()["option_order"] == {"op_0": ["d", "c", "b", "a"]}
    assert oracle.option_order("no_such_choice") is None
