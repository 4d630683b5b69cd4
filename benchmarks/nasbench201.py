"""Search strategies measured on the NAS-Bench-201 table, with no training.

    python -m benchmarks.nasbench201 --table ../shared/data/nasbench201_test_acc.csv \\
        --strategy random evolution reinforce reinforce-lstm --budget 100 --runs 100 \\
        --noise 0.0 --dataset cifar10 --seed 0 [--json]

Each run searches `NASBench201Space` with the real oracle class of the strategy inside a
KerasTuner tuner whose trial looks the cell up in the table: its reward is the table's test
accuracy plus Gaussian noise of standard deviation `--noise` (a stand-in for the noise of a
validation score). After `--budget` queries, the run's result is the true (noise-free)
accuracy of the cell with the best observed reward. Printed per strategy and dataset: the mean
and standard deviation over `--runs` runs, and the wall seconds per query, which is the cost
of the framework itself (the lookup costs nothing).

Strategies: `random` is KerasTuner's `RandomSearchOracle`; `evolution` and `reinforce` are the
product's `RegularizedEvolutionOracle` and `ReinforceOracle` (a factorised policy);
`reinforce-lstm` is `LSTMReinforceOracle` (`benchmarks/lstm_controller.py`), the
autoregressive LSTM controller of ENAS, the baseline that `reinforce` is measured against.
Every oracle runs with its default settings.

The table is the CSV described in `shared/data/README.md`, read by path with
`keras_nas.search_spaces.load_nasbench201_table`, never copied. Run it from the repository
root (`python -m benchmarks.nasbench201`), so that it finds `benchmarks.lstm_controller`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Sequence
from typing import Any

import keras_tuner
import numpy as np

from benchmarks.lstm_controller import LSTMReinforceOracle
from keras_nas import oracles
from keras_nas.search_spaces import NASBench201Space, load_nasbench201_table
from keras_nas.search_spaces.nasbench201_table import DATASET_COLUMNS

STRATEGIES = ("random", "evolution", "reinforce", "reinforce-lstm")
# The LSTM controller is a comparison baseline for the factorised policy, measured on request.
DEFAULT_STRATEGIES = STRATEGIES[:3]
OBJECTIVE = keras_tuner.Objective("reward", "max")


def make_space() -> NASBench201Space:
    """The benchmark's space: the NAS-Bench-201 cell on CIFAR-sized inputs."""
    return NASBench201Space(input_shape=(32, 32, 3), num_classes=10)


def make_oracle(
    strategy: str, space: NASBench201Space, budget: int, seed: int
) -> keras_tuner.Oracle:
    """The oracle of `strategy`, with its default settings, over the space's choices."""
    hyperparameters = keras_tuner.HyperParameters()
    space.declare_hyperparameters(hyperparameters)
    common = dict(objective=OBJECTIVE, max_trials=budget, hyperparameters=hyperparameters)
    if strategy == "random":
        return keras_tuner.oracles.RandomSearchOracle(seed=seed, **common)
    oracle_class = {
        "evolution": oracles.RegularizedEvolutionOracle,
        "reinforce": oracles.ReinforceOracle,
        "reinforce-lstm": LSTMReinforceOracle,
    }[strategy]
    return oracle_class(seed=seed, canonical_key=space.canonical_key, **common)


class TableTuner(keras_tuner.engine.base_tuner.BaseTuner):
    """A tuner whose trial is a lookup in the table, with Gaussian noise on the reward."""

    def __init__(self, oracle, *, space, table, dataset, noise, rng, **kwargs):
        super().__init__(oracle=oracle, hypermodel=None, **kwargs)
        self.space, self.table, self.dataset = space, table, dataset
        self.noise, self.rng = noise, rng

    def run_trial(self, trial, *args, **kwargs) -> dict[str, float]:
        accuracy = self.true_accuracy(trial.hyperparameters.values)
        return {"reward": accuracy + self.noise * float(self.rng.normal())}

    def true_accuracy(self, values: dict[str, Any]) -> float:
        return self.table[self.space.to_arch_string(values)][self.dataset]


def run_once(
    strategy: str,
    table: dict,
    *,
    dataset: str,
    budget: int,
    noise: float,
    seed: int,
    space: NASBench201Space,
) -> float:
    """One search; returns the true accuracy of the cell with the best observed reward."""
    oracle = make_oracle(strategy, space, budget, seed)
    return search_table(oracle, table, dataset=dataset, noise=noise, seed=seed, space=space)


def search_table(
    oracle: keras_tuner.Oracle,
    table: dict,
    *,
    dataset: str,
    noise: float,
    seed: int,
    space: NASBench201Space,
) -> float:
    """Runs `oracle` on the table; the true accuracy of the cell with the best reward."""
    with tempfile.TemporaryDirectory() as directory:
        tuner = TableTuner(
            oracle,
            space=space,
            table=table,
            dataset=dataset,
            noise=noise,
            rng=np.random.default_rng(seed),
            directory=directory,
            project_name="search",
            overwrite=True,
        )
        tuner.search(verbose=0)
        best = tuner.oracle.get_best_trials(1)[0]
        return tuner.true_accuracy(best.hyperparameters.values)


def evaluate(
    strategy: str,
    table: dict,
    *,
    dataset: str,
    budget: int,
    runs: int,
    noise: float,
    seed: int,
) -> dict[str, Any]:
    """`runs` searches of one strategy; the summary that `--json` prints."""
    space = make_space()
    start = time.monotonic()
    results = [
        run_once(
            strategy,
            table,
            dataset=dataset,
            budget=budget,
            noise=noise,
            seed=1 + seed * 100_003 + run,  # KerasTuner reads a seed of 0 as "none".
            space=space,
        )
        for run in range(runs)
    ]
    seconds = time.monotonic() - start
    return {
        "strategy": strategy,
        "dataset": dataset,
        "budget": budget,
        "runs": runs,
        "noise": noise,
        "mean": float(np.mean(results)),
        "std": float(np.std(results)),
        "seconds_per_query": seconds / (runs * budget),
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    table = load_nasbench201_table(args.table)
    if not args.json:
        print(
            f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
            f"{platform.python_version()}"
        )
        print(
            "command: python -m benchmarks.nasbench201 "
            + " ".join(sys.argv[1:] if argv is None else argv)
        )
    for dataset in args.dataset:
        for strategy in args.strategy:
            result = evaluate(
                strategy,
                table,
                dataset=dataset,
                budget=args.budget,
                runs=args.runs,
                noise=args.noise,
                seed=args.seed,
            )
            if args.json:
                print(json.dumps(result), flush=True)
            else:
                print(
                    f"{dataset:15s} noise {args.noise:<4g} {strategy:14s} "
                    f"{result['mean']:.2f} +- {result['std']:.2f}  "
                    f"({1000 * result['seconds_per_query']:.1f} ms/query)",
                    flush=True,
                )
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.nasbench201",
        description="Measure search strategies on the NAS-Bench-201 table (no training).",
    )
    parser.add_argument("--table", required=True, help="path of nasbench201_test_acc.csv")
    parser.add_argument(
        "--strategy",
        nargs="+",
        choices=STRATEGIES,
        default=list(DEFAULT_STRATEGIES),
        help="strategies to measure (default: random evolution reinforce)",
    )
    parser.add_argument(
        "--dataset",
        nargs="+",
        choices=list(DATASET_COLUMNS),
        default=["cifar10"],
        help="table column(s) to search (default: cifar10)",
    )
    parser.add_argument("--budget", type=int, default=100, help="queries per run (default: 100)")
    parser.add_argument("--runs", type=int, default=100, help="runs per strategy (default: 100)")
    parser.add_argument(
        "--noise",
        type=float,
        default=0.0,
        help="std of the Gaussian noise added to each reward (default: 0)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the first run (default: 0)")
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object per strategy and dataset"
    )
    return parser


if __name__ == "__main__":
    sys.exit(main())
