"""Toy objectives and a driver for oracle tests: no tuner, no training."""

import keras_tuner
from keras_tuner.engine.trial import TrialStatus

from keras_nas.compat import set_project_directory

#: The optimum of the toy space: `op_i` equal to `TARGET[i]` for every i.
TARGET = ["a", "b", "c", "d", "a", "b"]


def flat_space(num_hps=6, num_values=4):
    hp = keras_tuner.HyperParameters()
    for i in range(num_hps):
        hp.Choice(f"op_{i}", ["a", "b", "c", "d"][:num_values])
    return hp


def matches(values):
    """The toy score: how many hyperparameters equal the target."""
    return sum(values.get(f"op_{i}") == target for i, target in enumerate(TARGET))


def make_oracle(tmp_path, name, oracle_class, **kwargs):
    kwargs.setdefault("objective", keras_tuner.Objective("score", "max"))
    kwargs.setdefault("hyperparameters", flat_space())
    oracle = oracle_class(**kwargs)
    oracle.verbose = 0
    # Tests only: KerasTuner's tuner sets the project directory through this private call.
    set_project_directory(oracle, str(tmp_path), name)
    return oracle


def finish(oracle, trial, score):
    oracle.update_trial(trial.trial_id, {"score": score})
    trial.status = TrialStatus.COMPLETED
    oracle.end_trial(trial)


def run(oracle, num_trials, score_fn=matches):
    """Drives `num_trials` trials (fewer if the oracle stops); returns their values."""
    history = []
    for _ in range(num_trials):
        trial = oracle.create_trial("tuner0")
        if trial.status == TrialStatus.STOPPED:
            break
        values = dict(trial.hyperparameters.values)
        history.append(values)
        finish(oracle, trial, score_fn(values))
    return history


def assert_beats_random_search(tmp_path, make_strategy, budget, seeds):
    """Asserts that an oracle finds the toy optimum far more often than random search.

    `make_strategy(name, seed)` returns the oracle to test, with `max_trials=budget`. Over
    `seeds`, it must hit the optimum at least 3 times more than KerasTuner's random search at
    the same budget, and its best score must be higher by half a point on average.
    """
    strategy_best, random_best = [], []
    for seed in seeds:
        strategy = make_strategy(f"strategy_{seed}", seed)
        strategy_best.append(max(matches(values) for values in run(strategy, budget)))
        random = make_oracle(
            tmp_path,
            f"random_{seed}",
            keras_tuner.oracles.RandomSearchOracle,
            max_trials=budget,
            # KerasTuner seeds hp i of a trial with seed + i, so nearby seeds share samples.
            seed=1000 * (seed + 1),
        )
        random_best.append(max(matches(values) for values in run(random, budget)))
    strategy_hits = sum(best == len(TARGET) for best in strategy_best)
    random_hits = sum(best == len(TARGET) for best in random_best)
    assert strategy_hits >= random_hits + 3, (strategy_best, random_best)
    assert sum(strategy_best) / len(seeds) > sum(random_best) / len(seeds) + 0.5, (
        strategy_best,
        random_best,
    )
