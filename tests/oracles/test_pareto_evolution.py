"""Evolution with several objectives selects by non-dominated rank and crowding (NSGA-II);
toy objectives, no training."""

import keras_tuner
import numpy as np
from keras_tuner.engine.trial import TrialStatus

from keras_nas.objectives import Objective, hypervolume, nsga2_select
from keras_nas.oracles import RegularizedEvolutionOracle
from tests.oracles.toy import flat_space, make_oracle

OBJECTIVES = [Objective("quality", "max"), Objective("cost", "min")]
DIRECTIONS = ["max", "min"]
OPS = 12  # Choices of the toy space, each of 4 values: random draws rarely reach the front.


#: What each op adds to the toy's quality and cost: "b" is the efficient one, "a" buys a
#: little more quality at a high cost, "d" is free and worthless.
QUALITY = {"a": 3.0, "b": 2.0, "c": 1.0, "d": 0.0}
COST = {"a": 3.0, "b": 1.0, "c": 1.0, "d": 0.0}


def toy_metrics(values):
    """Quality (max) and cost (min) of a toy architecture: a front of trade-offs."""
    ops = [values[f"op_{i}"] for i in range(OPS)]
    return {"quality": sum(QUALITY[op] for op in ops), "cost": sum(COST[op] for op in ops)}


def drive(oracle, trials):
    points = []
    for _ in range(trials):
        trial = oracle.create_trial("tuner0")
        if trial.status != TrialStatus.RUNNING:
            break
        metrics = toy_metrics(trial.hyperparameters.values)
        oracle.update_trial(trial.trial_id, metrics)
        trial.status = TrialStatus.COMPLETED
        oracle.end_trial(trial)
        points.append((metrics["quality"], metrics["cost"]))
    return points


def test_the_population_is_nsga2s_selection_of_the_completed_trials(tmp_path):
    oracle = make_oracle(
        tmp_path,
        "pareto",
        RegularizedEvolutionOracle,
        objective=OBJECTIVES,
        max_trials=30,
        population_size=6,
        sample_size=2,
        seed=0,
        hyperparameters=flat_space(OPS),
    )
    points = drive(oracle, 20)
    completed = oracle.completed_trials()
    expected = sorted(nsga2_select(points, DIRECTIONS, 6))
    assert [trial.trial_id for trial in oracle.population()] == [
        completed[index].trial_id for index in expected
    ]


def test_with_one_objective_the_population_is_still_the_youngest(tmp_path):
    oracle = make_oracle(
        tmp_path,
        "aging",
        RegularizedEvolutionOracle,
        max_trials=30,
        population_size=5,
        sample_size=2,
        seed=0,
        objective=keras_tuner.Objective("quality", "max"),
        hyperparameters=flat_space(OPS),
    )
    drive(oracle, 12)
    assert oracle.population() == oracle.completed_trials()[-5:]


def test_pareto_evolution_finds_a_larger_hypervolume_than_random_sampling(tmp_path):
    ratios = []
    for seed in range(3):
        pareto = make_oracle(
            tmp_path,
            f"pareto{seed}",
            RegularizedEvolutionOracle,
            objective=OBJECTIVES,
            max_trials=40,
            population_size=8,
            sample_size=2,
            seed=seed,
            hyperparameters=flat_space(OPS),
        )
        randomly = make_oracle(  # A population as large as the budget: random draws only.
            tmp_path,
            f"random{seed}",
            RegularizedEvolutionOracle,
            objective=OBJECTIVES,
            max_trials=40,
            population_size=40,
            sample_size=2,
            seed=seed,
            hyperparameters=flat_space(OPS),
        )
        reference = (0.0, OPS + 1.0)
        ratios.append(
            hypervolume(drive(pareto, 40), DIRECTIONS, reference)
            / hypervolume(drive(randomly, 40), DIRECTIONS, reference)
        )
    assert np.median(ratios) > 1.05  # 1.089 (1.089, 1.141, 1.001)


def test_a_flat_space_with_two_objectives_has_a_multi_objective(tmp_path):
    oracle = make_oracle(
        tmp_path,
        "multi",
        RegularizedEvolutionOracle,
        objective=OBJECTIVES,
        max_trials=3,
        hyperparameters=flat_space(),
    )
    assert [one.name for one in oracle.objective.objectives] == ["quality", "cost"]
