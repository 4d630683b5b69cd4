"""Four strategies on a user's own conditional `build(hp)` inside a plain `keras_tuner.Tuner`.

    python -m benchmarks.build_function [--seeds 10] [--trials 20] [--early 8] [--epochs 5]
                                        [--strategies NAME ...] [--json FILE]

The build function is what a user writes (`architecture` below): 1 to 3 dense blocks, each
with its own width, activation and optional batch normalisation, then an optional dropout
whose rate matters only when it is on, and a learning rate; every condition is plain
Python, none is declared to KerasTuner. It trains on digits (8x8, flattened; batch 32,
`--epochs` epochs; the score is the best epoch's validation accuracy).

Each seed runs, one after the other, each in a new process, `keras_tuner.Tuner` with
`RegularizedEvolutionOracle` (population 5, tournaments of 3), the same blind to what the
build read (the baseline: it mutates any name and counts only identical values as tried,
as keras-nas did before it recorded active hyperparameters), with `ReinforceOracle`
(defaults), and KerasTuner's `RandomSearch` and `BayesianOptimization` (defaults), each for
`--trials` trials. The best of the first `--early` trials is each run's best at that budget:
no strategy reads `max_trials`, so the first 8 trials of a 20-trial run are the 8-trial run.
Printed: per strategy and budget, the mean and standard deviation over seeds of the best
validation accuracy; the trained trials that built a network an earlier trial of the same
run had built already (two value sets that agree on every hyperparameter the build read);
and the mean wall time of a run. Run it from the repository root, alone on the machine.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import shlex
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

STRATEGIES = ("evolution", "evolution, names only", "reinforce", "random", "bayesian")


def architecture(hp) -> tuple:
    """The network `hp` describes, read as a user's build function reads it."""
    blocks = []
    for i in range(hp.Int("blocks", 1, 3)):
        units = hp.Choice(f"block_{i}/units", [16, 32, 64, 128])
        activation = hp.Choice(f"block_{i}/activation", ["relu", "tanh"])
        blocks.append((units, activation, hp.Boolean(f"block_{i}/batch_norm")))
    rate = hp.Choice("rate", [0.1, 0.3, 0.5]) if hp.Boolean("dropout") else 0.0
    return (tuple(blocks), rate, hp.Choice("learning_rate", [1e-3, 3e-3, 1e-2]))


def build(hp):
    """The user's build function: the Keras model of `architecture(hp)`."""
    import keras

    blocks, rate, learning_rate = architecture(hp)
    inputs = keras.Input((8, 8, 1))
    x = keras.layers.Flatten()(inputs)
    for units, activation, batch_norm in blocks:
        x = keras.layers.Dense(units, activation=activation)(x)
        if batch_norm:
            x = keras.layers.BatchNormalization()(x)
    if rate:
        x = keras.layers.Dropout(rate)(x)
    model = keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(x))
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def network_of(values: dict[str, Any]) -> tuple:
    """The network that trial `values` built (no Keras: `architecture` on the values)."""
    import keras_tuner

    hp = keras_tuner.HyperParameters()
    hp.values = dict(values)
    return architecture(hp)


def repeats(networks: Sequence[tuple]) -> int:
    """How many of `networks`, in order, equal an earlier one."""
    return len(networks) - len(set(networks))


def names_only_evolution():
    """Evolution blind to what the build read, as it was before active hyperparameters:
    it mutates any name and counts only identical values as tried (the baseline)."""
    from keras_nas import compat
    from keras_nas.oracles import RegularizedEvolutionOracle

    class NamesOnly(RegularizedEvolutionOracle):
        def active_hyperparameters(self, trial):
            return None

        def already_tried(self, values):
            return compat.is_duplicate(self, values)

    return NamesOnly


def make_tuner(strategy: str, seed: int, trials: int, directory: str):
    import keras_tuner

    from keras_nas.oracles import RegularizedEvolutionOracle, ReinforceOracle

    NamesOnly = names_only_evolution()

    objective = keras_tuner.Objective("val_accuracy", "max")
    common = {"directory": directory, "project_name": f"{strategy.replace(', ', '_')}_{seed}"}
    if strategy == "random":
        return keras_tuner.RandomSearch(
            build, objective=objective, max_trials=trials, seed=seed, **common
        )
    if strategy == "bayesian":
        return keras_tuner.BayesianOptimization(
            build, objective=objective, max_trials=trials, seed=seed, **common
        )
    if strategy.startswith("evolution"):
        oracle_class = RegularizedEvolutionOracle if strategy == "evolution" else NamesOnly
        oracle = oracle_class(
            objective=objective, max_trials=trials, population_size=5, sample_size=3, seed=seed
        )
    else:
        oracle = ReinforceOracle(objective=objective, max_trials=trials, seed=seed)
    return keras_tuner.Tuner(oracle=oracle, hypermodel=build, **common)


def run(strategy: str, seed: int, args: argparse.Namespace, directory: str) -> dict:
    """One search; each trial's score and network in the order they ran, and wall seconds."""
    from keras_nas.datasets import load_digits

    (x, y), validation = load_digits()
    # KerasTuner seeds hyperparameter i of a trial with seed + i: spread the seeds apart.
    tuner = make_tuner(strategy, 1000 * (seed + 1), args.trials, directory)
    start = time.perf_counter()
    tuner.search(x, y, validation_data=validation, epochs=args.epochs, batch_size=32, verbose=0)
    seconds = time.perf_counter() - start
    ran = sorted(tuner.oracle.trials.values(), key=lambda trial: int(trial.trial_id))
    return {
        "scores": [trial.score for trial in ran],
        "networks": [network_of(trial.hyperparameters.values) for trial in ran],
        "seconds": seconds,
    }


def summarize(runs: list[dict], early: int) -> dict:
    """Mean and spread of the best score at `early` trials and at all, repeats, seconds."""

    def best(scores):
        return max(score for score in scores if score is not None)

    at_early = [best(one["scores"][:early]) for one in runs]
    at_all = [best(one["scores"]) for one in runs]
    return {
        "best_early": [statistics.mean(at_early), _spread(at_early)],
        "best_all": [statistics.mean(at_all), _spread(at_all)],
        "repeats_early": sum(repeats(one["networks"][:early]) for one in runs),
        "repeats_all": sum(repeats(one["networks"]) for one in runs),
        "seconds": statistics.mean(one["seconds"] for one in runs),
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    print(f"`python -m benchmarks.build_function {shlex.join(argv or sys.argv[1:])}`")
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    runs: dict[str, list[dict]] = {strategy: [] for strategy in args.strategies}
    # Each search in a fresh process: one process that runs them all slows down from search
    # to search (42 s for the first, 85 s for the eleventh), which would favour the first.
    spawn = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as directory:
        for seed in range(args.seeds):
            for strategy in args.strategies:  # Interleaved: a slower machine slows all alike.
                with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
                    result = pool.submit(run, strategy, seed, args, directory).result()
                runs[strategy].append(result)
                print(
                    f"seed {seed} {strategy}: best {max(result['scores']):.4f}, "
                    f"{repeats(result['networks'])} repeats, {result['seconds']:.0f} s",
                    file=sys.stderr,
                    flush=True,
                )
    results = {strategy: summarize(runs[strategy], args.early) for strategy in args.strategies}
    early, trials = args.early, args.trials
    print(
        f"| strategy | best at {early} trials | best at {trials} trials | repeated networks "
        f"(at {early}, at {trials}; of {args.seeds * trials} trials) | seconds per run |"
    )
    print("|---|---|---|---|---|")
    for strategy, row in results.items():
        print(
            f"| {strategy} | {row['best_early'][0]:.4f} ± {row['best_early'][1]:.4f} | "
            f"{row['best_all'][0]:.4f} ± {row['best_all'][1]:.4f} | "
            f"{row['repeats_early']}, {row['repeats_all']} | {row['seconds']:.0f} |"
        )
    if args.json:
        with open(args.json, "w") as file:
            json.dump({"results": results, "runs": runs}, file, indent=1, default=list)
    return 0


def _spread(values: list[float]) -> float:
    return statistics.stdev(values) if len(values) > 1 else 0.0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--early", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument(
        "--strategies",
        nargs="+",
        choices=STRATEGIES,
        default=list(STRATEGIES),
        help="the strategies to run (default: all)",
    )
    parser.add_argument("--json", help="also write the results to this JSON file")
    return parser


if __name__ == "__main__":
    raise SystemExit(main())
