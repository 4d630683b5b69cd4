"""Active hyperparameters: the names a build function read, and what the oracles do with them.

Driven on a toy build function that reads its hyperparameters as a user's `build(hp)` does
(a loop over blocks, a branch per block, an optional dropout) and returns the network it
would build as a tuple, so no model is trained.
"""

import json

import keras
import keras_tuner
import numpy as np
import pytest
from keras_tuner.engine.trial import TrialStatus

from keras_nas.compat import set_project_directory
from keras_nas.objectives import Constraints
from keras_nas.oracles import RegularizedEvolutionOracle, ReinforceOracle
from keras_nas.oracles.active import ActiveHyperParameters
from keras_nas.tuners import NASTuner

MAX_BLOCKS = 3


def toy_build(hp):
    """The network `hp` describes: a block count, each block's kind and its size, an
    optional dropout with its rate; conditions only in plain Python."""
    network = []
    for i in range(hp.Int("blocks", 1, MAX_BLOCKS)):
        if hp.Choice(f"block_{i}/kind", ["dense", "conv"]) == "conv":
            network.append(("conv", hp.Choice(f"block_{i}/kernel", [3, 5])))
        else:
            network.append(("dense", hp.Choice(f"block_{i}/units", [16, 32])))
    if hp.Boolean("dropout"):
        network.append(("dropout", hp.Choice("rate", [0.1, 0.5])))
    return tuple(network)


def toy_score(network):
    """Deeper and wider is better; dropout 0.1 helps a little."""
    sizes = {"dense": lambda n: n / 32, "conv": lambda k: k / 5, "dropout": lambda r: r == 0.1}
    return float(sum(sizes[kind](size) for kind, size in network))


def met_space():
    """Every name `toy_build` can read, met as KerasTuner meets them: flat, unconditioned."""
    hp = keras_tuner.HyperParameters()
    toy_build(hp)
    for kind in ("dense", "conv"):
        hp.values.update({"blocks": MAX_BLOCKS, "dropout": True})
        hp.values.update({f"block_{i}/kind": kind for i in range(MAX_BLOCKS)})
        toy_build(hp)
    hp.values = {"blocks": 1, "block_0/kind": "dense", "block_0/units": 16, "dropout": False}
    return hp


def make(tmp_path, name, oracle_class=RegularizedEvolutionOracle, **kwargs):
    oracle = oracle_class(
        objective=keras_tuner.Objective("score", "max"),
        hyperparameters=met_space(),
        **kwargs,
    )
    oracle.verbose = 0
    set_project_directory(oracle, str(tmp_path), name)
    return oracle


def search(oracle, trials):
    """Runs `trials` toy trials; returns each trial's network."""
    networks = []
    for _ in range(trials):
        trial = oracle.create_trial("tuner0")
        if trial.status != TrialStatus.RUNNING:
            break
        network = toy_build(trial.hyperparameters)
        networks.append(network)
        oracle.update_trial(trial.trial_id, {"score": toy_score(network)})
        trial.status = TrialStatus.COMPLETED
        oracle.end_trial(trial)
    return networks


def test_the_names_read_follow_nested_conditions_and_conditional_scopes():
    hp = ActiveHyperParameters.copy_of(met_space())
    hp.values = {one.name: one.default for one in hp.space}
    hp.values.update({"blocks": 2, "block_0/kind": "conv", "block_1/kind": "dense"})
    hp.values.update({"dropout": False, "block_2/kind": "conv", "rate": 0.5})
    toy_build(hp)
    hp.values.get("block_2/units")  # A read outside the build counts too: more, never less.
    assert dict(hp.values) and list(hp.values.items())  # Copies read no name.
    with hp.conditional_scope("dropout", [True]):
        assert hp.Choice("noise", [0.0, 0.1]) is None  # Inactive: not read.
    with hp.name_scope("head"):
        hp.Fixed("units", 10)
        hp.get("units")
    assert hp.read_names == {
        "blocks",
        "block_0/kind",
        "block_0/kernel",
        "block_1/kind",
        "block_1/units",
        "block_2/units",
        "dropout",
        "head/units",
    }


def test_a_trial_records_what_its_build_read_and_the_record_survives_a_reload(tmp_path):
    oracle = make(tmp_path, "search", max_trials=6, seed=0)
    search(oracle, 6)
    for trial in oracle.trials.values():
        expected = ActiveHyperParameters.copy_of(met_space())
        expected.values.update(trial.hyperparameters.values)
        toy_build(expected)
        assert oracle.active_hyperparameters(trial.trial_id) == expected.read_names
    state = json.loads(json.dumps(oracle.get_state()))
    reloaded = make(tmp_path, "search", max_trials=6, seed=0)
    reloaded.set_state(state)
    assert reloaded.active_hyperparameters("0") == oracle.active_hyperparameters("0")
    assert reloaded.active_hyperparameters("0") is not None
    assert reloaded.active_hyperparameters("99") is None


def test_values_that_agree_on_what_a_trial_read_are_already_tried(tmp_path):
    oracle = make(tmp_path, "dedup", max_trials=5, seed=0)
    search(oracle, 1)
    trial = oracle.trials["0"]
    values = dict(trial.hyperparameters.values)
    read = oracle.active_hyperparameters(trial)
    unread = [name for name in values if name not in read]
    assert unread  # One block and no dropout leave names unread.
    same_network = dict(values)
    for name in unread:
        hp = next(hp for hp in oracle.hyperparameters.space if hp.name == name)
        same_network[name] = [v for v in hp.values if v != values[name]][0]
    assert oracle.already_tried(same_network)
    changed = dict(values, blocks=values["blocks"] % MAX_BLOCKS + 1)
    assert not oracle.already_tried(changed)


def test_mutation_changes_only_names_the_parent_read(tmp_path):
    oracle = make(tmp_path, "mutate", max_trials=5, seed=1, mutations=2)
    values = {hp.name: hp.default for hp in oracle.hyperparameters.space}
    values.update({"blocks": 1, "block_0/kind": "conv"})
    read = {"blocks", "block_0/kind", "block_0/kernel", "dropout"}
    for _ in range(200):
        child = oracle._mutate(values, read)
        changed = {name for name in values if child[name] != values[name]}
        assert changed and changed <= read, changed


@pytest.mark.parametrize("oracle_class", [RegularizedEvolutionOracle, ReinforceOracle])
def test_no_trial_builds_a_network_already_trained(tmp_path, oracle_class):
    extra = (
        {"population_size": 6, "sample_size": 3}
        if oracle_class is RegularizedEvolutionOracle
        else {}
    )
    oracle = make(tmp_path, "search", oracle_class, max_trials=60, seed=2, **extra)
    networks = search(oracle, 60)
    assert len(networks) == 60
    assert len(set(networks)) == 60


def test_reinforce_rewards_only_the_decisions_the_build_read(tmp_path):
    oracle = make(tmp_path, "policy", ReinforceOracle, max_trials=4, seed=0, learning_rate=0.5)
    search(oracle, 2)  # The first reward sets the baseline; the second moves the policy.
    trial = oracle.trials["1"]
    read = oracle.active_hyperparameters(trial)
    for hp in oracle.hyperparameters.space:
        if not isinstance(hp, (keras_tuner.engine.hyperparameters.Choice,)):
            continue
        probabilities = oracle.probabilities(hp.name)
        uniform = np.allclose(probabilities, 1 / len(hp.values))
        if hp.name not in read:
            assert uniform, (hp.name, probabilities)
    assert any(
        not np.allclose(oracle.probabilities(name), 0.5) for name in read if name not in ("blocks",)
    )


def _keras_build(hp):
    model = keras.Sequential([keras.Input((4,))])
    for i in range(hp.Int("layers", 1, 2)):
        model.add(keras.layers.Dense(hp.Choice(f"units_{i}", [2, 4])))
    if hp.Boolean("dropout"):
        model.add(keras.layers.Dropout(hp.Choice("rate", [0.1, 0.5])))
    model.add(keras.layers.Dense(1))
    model.compile(loss="mse")
    return model


@pytest.mark.parametrize("tuner_class", [keras_tuner.Tuner, NASTuner])
def test_a_plain_keras_tuner_and_a_checked_nas_tuner_record_the_build(tmp_path, tuner_class):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 4)), rng.normal(size=(16, 1))
    oracle = RegularizedEvolutionOracle(
        objective=keras_tuner.Objective("val_loss", "min"), max_trials=3, seed=0
    )
    extra = {"constraints": Constraints(max_params=1_000)} if tuner_class is NASTuner else {}
    tuner = tuner_class(hypermodel=_keras_build, oracle=oracle, directory=str(tmp_path), **extra)
    tuner.search(x, y, validation_data=(x, y), epochs=1, verbose=0)
    for trial in oracle.trials.values():
        values = trial.hyperparameters.values
        expected = {"layers", "dropout"} | {f"units_{i}" for i in range(values["layers"])}
        expected |= {"rate"} if values["dropout"] else set()
        assert oracle.active_hyperparameters(trial) == expected
