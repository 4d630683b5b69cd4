"""Is it the space or the strategy? The random control and the space diagnostics, measured.

    python -m benchmarks.space_bias table --table ../shared/data/nasbench201_test_acc.csv \\
        [--budget 100] [--runs 20] [--noise 0.0] [--share 0.5] [--seed 0] [--json FILE]
    python -m benchmarks.space_bias digits [--trials 24] [--epochs 3] [--seed 0] [--json FILE]

`table`: `NASBench201Space` searched on the NAS-Bench-201 table (CIFAR-10, no training; the
trial's score is the table's accuracy plus Gaussian noise of `--noise`), where the true
answer is known. Each run is one search of `--budget` trials with `baseline="random"` (a
`--share` of the trials drawn at random, the control), whose project folder is read back as
`keras-nas report` reads it; printed per strategy (evolution, REINFORCE): the mean over
`--runs` runs of the relative improvement that the report gives (the strategy's best
against random sampling's expected best in as many trials, from the control's scores), and
the same quantity measured directly: the true accuracy of the best cell of the strategy's
trials against that of separate random searches (KerasTuner's `RandomSearchOracle`) of as
many trials. Then the marginal effects and edge warnings of the first evolution run.

`digits`: `EvolutionarySearch` with `baseline="random"` over two `MacroSpace`s on digits
(8x8, `--epochs` epochs, batch 32, `--trials` trials): one whose widths stop at 8 filters
(too small: wider is better on this task) and one with widths up to 128. Printed per
space: the edge warnings, the most important choices and the relative improvement.

Run it from the repository root, alone on the machine.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import shlex
import statistics
import sys
import tempfile
from collections.abc import Sequence
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

STRATEGIES = ("evolution", "reinforce")
#: The two digits spaces: widths that stop too early, and a range that does not.
DIGITS_WIDTHS = {"narrow": (2, 4, 8), "wide": (16, 32, 64, 128)}


def table_run(strategy: str, table: dict, args: argparse.Namespace, seed: int) -> dict:
    """One table search with a random control; what its report says, and the truth."""
    import keras_tuner
    import numpy as np

    from benchmarks.nasbench201 import OBJECTIVE, TableTuner, make_space
    from keras_nas import oracles
    from keras_nas.report import load_report, space_diagnostics

    space = make_space()
    hyperparameters = keras_tuner.HyperParameters()
    space.declare_hyperparameters(hyperparameters)
    oracle_class = {
        "evolution": oracles.RegularizedEvolutionOracle,
        "reinforce": oracles.ReinforceOracle,
    }[strategy]
    oracle = oracle_class(
        objective=OBJECTIVE,
        max_trials=args.budget,
        hyperparameters=hyperparameters,
        seed=seed,
        canonical_key=space.canonical_key,
        baseline="random",
        baseline_share=args.share,
    )
    with tempfile.TemporaryDirectory() as directory:
        tuner = TableTuner(
            oracle,
            space=space,
            table=table,
            dataset="cifar10",
            noise=args.noise,
            rng=np.random.default_rng(seed),
            directory=directory,
            project_name="search",
        )
        tuner.search(verbose=0)
        diagnostics = space_diagnostics(load_report(tuner.project_dir))
    strategy_trials = oracle.strategy_trials()
    best = max(strategy_trials, key=lambda trial: trial.score)
    return {
        "relative_improvement": diagnostics.control.relative_improvement,
        "strategy_trials": len(strategy_trials),
        "true_best": tuner.true_accuracy(best.hyperparameters.values),
        "diagnostics": diagnostics,
    }


def random_true_best(table: dict, args: argparse.Namespace, trials: int, seed: int) -> float:
    """The true accuracy of the best cell of a separate random search of `trials` trials."""
    from benchmarks.nasbench201 import make_oracle, make_space, search_table

    space = make_space()
    oracle = make_oracle("random", space, trials, seed)
    return search_table(oracle, table, dataset="cifar10", noise=args.noise, seed=seed, space=space)


def table_main(args: argparse.Namespace) -> dict:
    from keras_nas.diagnostics import format_diagnostics
    from keras_nas.search_spaces import load_nasbench201_table

    table = load_nasbench201_table(args.table)
    seeds = [1 + args.seed * 100_003 + run for run in range(args.runs)]
    results: dict[str, Any] = {}
    first = None
    for strategy in STRATEGIES:
        runs = [table_run(strategy, table, args, seed) for seed in seeds]
        first = first or runs[0]["diagnostics"]
        trials = runs[0]["strategy_trials"]
        randoms = [random_true_best(table, args, trials, 7 + 1000 * seed) for seed in seeds]
        true_strategy = statistics.fmean(run["true_best"] for run in runs)
        true_random = statistics.fmean(randoms)
        reported = [run["relative_improvement"] for run in runs]
        results[strategy] = {
            "strategy_trials": trials,
            "reported_relative_improvement": [statistics.fmean(reported), _spread(reported)],
            "true_strategy_best": true_strategy,
            "true_random_best": true_random,
            "true_relative_improvement": 100 * (true_strategy - true_random) / true_random,
        }
    print(
        "| strategy | strategy trials | RI in the report (mean ± sd) | true best, strategy | "
        "true best, separate random searches | true RI |"
    )
    print("|---|---|---|---|---|---|")
    for strategy, row in results.items():
        mean, spread = row["reported_relative_improvement"]
        print(
            f"| {strategy} | {row['strategy_trials']} | {mean:+.2f}% ± {spread:.2f} | "
            f"{row['true_strategy_best']:.2f} | {row['true_random_best']:.2f} | "
            f"{row['true_relative_improvement']:+.2f}% |"
        )
    print("\nThe first evolution run's diagnostics:")
    print("\n".join(format_diagnostics(first, effects=6)))
    return results


def digits_run(name: str, args: argparse.Namespace, directory: str):
    from keras_nas import EvolutionarySearch
    from keras_nas.datasets import load_digits
    from keras_nas.report import load_report, space_diagnostics
    from keras_nas.search_spaces import MacroSpace

    (x, y), validation = load_digits()
    space = MacroSpace(
        input_shape=(8, 8, 1),
        num_classes=10,
        widths=DIGITS_WIDTHS[name],
        depths=(1, 2),
        kernels=(3, 5),
        expansions=(3, 6),
    )
    tuner = EvolutionarySearch(
        space,
        objective="val_accuracy",
        max_trials=args.trials,
        population_size=6,
        sample_size=3,
        seed=args.seed,
        baseline="random",
        directory=directory,
        project_name=name,
        progress_out=io.StringIO(),
    )
    tuner.search(x, y, validation_data=validation, epochs=args.epochs, batch_size=32, verbose=0)
    return space_diagnostics(load_report(tuner.project_dir))


def digits_main(args: argparse.Namespace) -> dict:
    from keras_nas.diagnostics import diagnostics_json, format_diagnostics

    results = {}
    with tempfile.TemporaryDirectory() as directory:
        for name, widths in DIGITS_WIDTHS.items():
            diagnostics = digits_run(name, args, directory)
            results[name] = diagnostics_json(diagnostics)
            print(f"\n`MacroSpace(widths={widths})`:")
            print("\n".join(format_diagnostics(diagnostics, effects=4)))
    return results


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    print(f"`python -m benchmarks.space_bias {shlex.join(argv or sys.argv[1:])}`")
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    results = table_main(args) if args.task == "table" else digits_main(args)
    if args.json:
        with open(args.json, "w") as file:
            json.dump(results, file, indent=1, default=str)
    return 0


def _spread(values: list[float]) -> float:
    return statistics.stdev(values) if len(values) > 1 else 0.0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("task", choices=("table", "digits"))
    parser.add_argument("--table", help="the NAS-Bench-201 CSV (task `table`)")
    parser.add_argument("--budget", type=int, default=100)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--noise", type=float, default=0.0)
    parser.add_argument("--share", type=float, default=0.5, help="the control's share")
    parser.add_argument("--trials", type=int, default=24)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="also write the results to this JSON file")
    return parser


if __name__ == "__main__":
    raise SystemExit(main())
