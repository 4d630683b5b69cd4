"""Tests of `NASOracle`'s shared machinery, through `RegularizedEvolutionOracle`."""

import json

import keras_tuner
from keras_tuner.engine.trial import TrialStatus

from keras_nas.compat import set_project_directory
from keras_nas.oracles import RegularizedEvolutionOracle


def _oracle(tmp_path, hp, **kwargs):
    oracle = RegularizedEvolutionOracle(
        objective=keras_tuner.Objective("score", "max"), hyperparameters=hp, **kwargs
    )
    oracle.verbose = 0
    set_project_directory(oracle, str(tmp_path), "p")
    return oracle


def _run_to_exhaustion(oracle, max_trials):
    proposed = []
    for _ in range(max_trials):
        trial = oracle.create_trial("tuner0")
        if trial.status == TrialStatus.STOPPED:
            break
        proposed.append(dict(trial.hyperparameters.values))
        oracle.update_trial(trial.trial_id, {"score": 1.0})
        trial.status = TrialStatus.COMPLETED
        oracle.end_trial(trial)
    return proposed


def test_canonical_key_makes_equivalent_values_count_as_tried(tmp_path):
    hp = keras_tuner.HyperParameters()
    hp.Choice("a", ["x", "y", "z"])
    hp.Choice("b", ["x", "y", "z"])

    def unordered(values):
        return ",".join(sorted(values.values()))

    oracle = _oracle(
        tmp_path,
        hp,
        max_trials=20,
        population_size=2,
        sample_size=1,
        seed=0,
        canonical_key=unordered,
    )
    proposed = _run_to_exhaustion(oracle, 20)
    keys = [unordered(values) for values in proposed]
    assert len(keys) == len(set(keys)) == 6  # The multisets of two of three options.


def test_resolve_samples_newly_active_choices_and_drops_inactive_ones(tmp_path):
    hp = keras_tuner.HyperParameters()
    hp.Choice("depth", [1, 2])
    with hp.conditional_scope("depth", [2]):
        hp.Choice("layer_2/units", [8, 16])
    oracle = _oracle(tmp_path, hp, max_trials=1, seed=0)
    assert oracle.resolve({"depth": 1, "layer_2/units": 8}) == {"depth": 1}
    deeper = oracle.resolve({"depth": 2})
    assert deeper["depth"] == 2 and deeper["layer_2/units"] in (8, 16)
    assert oracle.resolve({"depth": 2, "layer_2/units": 99})["layer_2/units"] in (8, 16)


def test_rng_state_is_json_and_restores_the_sequence(tmp_path):
    hp = keras_tuner.HyperParameters()
    hp.Choice("a", list(range(50)))
    oracle = _oracle(tmp_path, hp, max_trials=1, seed=5)
    state = json.loads(json.dumps(oracle.get_state()))
    expected = [oracle.next_seed() for _ in range(3)]
    oracle.set_state(state)
    assert [oracle.next_seed() for _ in range(3)] == expected
