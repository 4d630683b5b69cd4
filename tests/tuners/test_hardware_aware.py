"""Issue 8 in the tuners: cost metrics, constraints checked before training, latency as an
objective, MnasNet's reward, and the Pareto front of a search."""

import json

import keras
import keras_tuner
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from keras_tuner.engine.trial import TrialStatus

import keras_nas
from keras_nas.datasets import load_digits
from keras_nas.objectives import Constraints, MnasNetReward, Objective, mnasnet_reward
from keras_nas.search_spaces import MLPSpace
from tests.messages import assert_mentions
from tests.oracles.toy import flat_space

MAX_PARAMS = 2_500


@pytest.fixture(scope="module")
def digits():
    (x, y), (x_val, y_val) = load_digits()
    return x.reshape(-1, 64)[:300], y[:300], x_val.reshape(-1, 64)[:120], y_val[:120]


def _space():
    return MLPSpace(input_shape=(64,), num_classes=10, max_layers=2, units=(16, 32, 64, 128))


def _search(directory, digits, *, max_trials=3, epochs=1, **kwargs):
    x, y, x_val, y_val = digits
    kwargs.setdefault("objective", "val_accuracy")
    tuner = keras_nas.EvolutionarySearch(
        _space(),
        max_trials=max_trials,
        population_size=max_trials,
        sample_size=1,
        seed=0,
        directory=str(directory),
        project_name="hardware",
        **kwargs,
    )
    tuner.search(x, y, validation_data=(x_val, y_val), epochs=epochs, verbose=0)
    return tuner


def _completed(tuner):
    return [t for t in tuner.oracle.trials.values() if t.status == TrialStatus.COMPLETED]


def test_every_trial_records_its_cost_and_no_latency_unless_asked(tmp_path, digits):
    tuner = _search(tmp_path, digits, max_trials=2)
    for trial in _completed(tuner):
        names = set(trial.metrics.metrics)
        assert {"params", "flops", "size_bytes"} <= names
        assert not any(name.startswith("latency_ms") for name in names)
        assert trial.metrics.get_last_value("size_bytes") == 4 * trial.metrics.get_last_value(
            "params"
        )


def test_a_constraint_that_rejects_most_of_the_space_is_never_broken(tmp_path, digits):
    builds = []
    space_class = MLPSpace
    original = space_class.build_features

    def counting(self, arch, inputs):
        builds.append(1)
        return original(self, arch, inputs)

    space_class.build_features = counting
    try:
        tuner = _search(
            tmp_path, digits, max_trials=4, constraints=Constraints(max_params=MAX_PARAMS)
        )
    finally:
        space_class.build_features = original
    completed = _completed(tuner)
    assert len(completed) == 4
    assert all(t.metrics.get_last_value("params") <= MAX_PARAMS for t in completed)
    rejected = tuner.oracle.rejected
    assert len(rejected) > len(completed)  # Most candidates were over the limit.
    assert all("parameters, over max_params=2,500" in reason for reason in rejected.values())
    # Each candidate was built once: to be measured, and then trained as it was.
    assert len(builds) == len(completed) + len(rejected)


def test_a_constraint_no_candidate_meets_ends_the_search_with_a_message(tmp_path, digits, capsys):
    tuner = _search(tmp_path, digits, max_trials=3, constraints=Constraints(max_flops=10))
    assert tuner.oracle.trials == {}
    err = capsys.readouterr().err
    assert_mentions(err, "No untried candidate", "after 0 trials", "FLOPs, over max_flops=10")


def test_latency_as_an_objective_is_measured_and_gives_the_pareto_front(tmp_path, digits):
    objective = ["val_accuracy", Objective("latency_ms", "min")]
    tuner = _search(tmp_path, digits, max_trials=4, objective=objective)
    completed = _completed(tuner)
    points = {
        t.trial_id: (
            t.metrics.get_best_value("val_accuracy"),
            t.metrics.get_best_value("latency_ms"),
        )
        for t in completed
    }
    assert all(latency > 0 for _, latency in points.values())
    expected = {
        key
        for key, (acc, lat) in points.items()
        if not any(a2 >= acc and l2 <= lat and (a2, l2) != (acc, lat) for a2, l2 in points.values())
    }
    front = tuner.pareto_front()
    assert {t.trial_id for t in front} == expected
    accuracies = [points[t.trial_id][0] for t in front]
    assert accuracies == sorted(accuracies, reverse=True)
    record = json.loads((tmp_path / "hardware" / "search.json").read_text())
    assert record["objective"][1] == {"name": "latency_ms", "direction": "min"}


def test_the_mnasnet_reward_is_computed_from_each_epochs_accuracy(tmp_path, digits):
    reward = MnasNetReward("val_accuracy", "latency_ms", target=0.05)
    tuner = _search(tmp_path, digits, max_trials=2, epochs=2, objective=reward)
    for trial in _completed(tuner):
        latency = trial.metrics.get_last_value("latency_ms")
        accuracies = trial.metrics.get_history("val_accuracy")
        rewards = trial.metrics.get_history("mnasnet_reward")
        assert [r.value[0] for r in rewards] == [
            mnasnet_reward(a.value[0], latency, 0.05) for a in accuracies
        ]
        assert trial.score == max(r.value[0] for r in rewards)


def test_a_latency_objective_of_an_unmeasured_batch_size_is_an_error(tmp_path, digits):
    x, y, x_val, y_val = digits
    tuner = keras_nas.EvolutionarySearch(
        _space(),
        objective=["val_accuracy", Objective("latency_ms_b32", "min")],
        max_trials=1,
        directory=str(tmp_path),
    )
    with pytest.raises(ValueError, match="The objective 'latency_ms_b32' is not a metric"):
        tuner.search(x, y, validation_data=(x_val, y_val), epochs=1, verbose=0)


def test_constraints_need_a_keras_nas_oracle(tmp_path):
    oracle = keras_tuner.oracles.RandomSearchOracle(objective="val_accuracy", max_trials=1)
    with pytest.raises(ValueError, match="`constraints` need a keras-nas oracle"):
        keras_nas.NASTuner(
            _space(), oracle, constraints=Constraints(max_params=10), directory=str(tmp_path)
        )


class _Toy(keras_tuner.HyperModel):
    """KerasTuner builds a hypermodel once when the tuner is made; the test trains nothing."""

    def build(self, hp):
        model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
        model.compile("sgd", "mse")
        return model


@settings(max_examples=20, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1), st.floats(0.1, 10)), min_size=1, max_size=12))
def test_the_pareto_front_holds_exactly_the_non_dominated_trials(tmp_path_factory, points):
    oracle = keras_nas.oracles.RegularizedEvolutionOracle(
        objective=[Objective("quality", "max"), Objective("latency_ms", "min")],
        hyperparameters=flat_space(),
        max_trials=len(points),
        population_size=len(points),
        sample_size=1,
        seed=0,
    )
    tuner = keras_nas.NASTuner(_Toy(), oracle, directory=str(tmp_path_factory.mktemp("front")))
    ids = []
    for quality, latency in points:
        trial = tuner.oracle.create_trial("tuner0")
        tuner.oracle.update_trial(trial.trial_id, {"quality": quality, "latency_ms": latency})
        trial.status = TrialStatus.COMPLETED
        tuner.oracle.end_trial(trial)
        ids.append(trial.trial_id)
    dominated = {
        ids[i]
        for i, (q, lat) in enumerate(points)
        if any(q2 >= q and l2 <= lat and (q2 > q or l2 < lat) for q2, l2 in points)
    }
    assert {t.trial_id for t in tuner.pareto_front()} == set(ids) - dominated
