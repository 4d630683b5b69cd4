"""Evolution with a zero-cost pre-filter or warm start, on the NAS-Bench-201 table.

    python -m benchmarks.zero_cost_search --table ../shared/data/nasbench201_test_acc.csv \\
        --scores FILE [--proxy synflow] [--budget 100] [--runs 10] [--noise 0.5] \\
        [--candidates 10] [--warm-start 0] [--plain-budget N] [--seed 0] [--fill]

Each run searches the NAS-Bench-201 table as `benchmarks.nasbench201` does (the reward of a
query is the cell's CIFAR-10 test accuracy plus Gaussian noise of `--noise`; the result is
the true accuracy of the cell with the best observed reward after `--budget` queries), once
with plain `RegularizedEvolutionOracle` and once with `zero_cost=ZeroCostFilter(--proxy,
candidates=--candidates, warm_start=--warm-start)`, with the same seeds, side by side
(plain evolution gets `--plain-budget` queries, by default `--budget`: to ask whether the
filter reaches plain evolution's result with fewer trained queries).

The proxy scores every candidate on a reduced network, `NASBench201Space(input_shape=(32, 32,
3), num_classes=10, cells_per_stage=1, channels=8)` built with Keras's seed 0 (as the filter
builds with `seed=0`), so it needs no data with `synflow`. Scores are kept in `--scores` (a
JSON file outside the repository, one score per cell), computed the first time a cell is
asked for; `--fill` first scores one cell of each class of equal cells (the table's
`UniqueString`; equal cells share their class's score) and stops. Printed: the rank
correlation of the stored scores with the table's accuracy (over every cell of a class
scored), each setting's mean and spread of the result, the
proxy evaluations per trained query, and what they cost at the measured seconds per
evaluation. Run it from the repository root.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import time
from collections.abc import Sequence

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras_tuner  # noqa: E402
import numpy as np  # noqa: E402

from benchmarks.nasbench201 import OBJECTIVE, make_space, search_table  # noqa: E402

REDUCED = {"cells_per_stage": 1, "channels": 8}


class ScoreCache:
    """Proxy scores of NAS-Bench-201 cells on the reduced network, in a JSON file: one per
    class of equal cells, kept under the class's first cell in the table (`representative`
    maps every cell to it)."""

    def __init__(self, path: str, proxy: str, representative: dict[str, str]):
        self.path, self.proxy, self.representative = path, proxy, representative
        self.data = {"proxy": proxy, "network": REDUCED, "seconds": 0.0, "scores": {}}
        if os.path.exists(path):
            with open(path) as file:
                self.data = json.load(file)
        if self.data.get("proxy", proxy) != proxy:
            raise ValueError(
                f"{path!r} holds {self.data['proxy']!r} scores, not {proxy!r}: pass another "
                "`--scores` file."
            )
        self._space = None
        self.evaluations = 0  # Scores asked for, cached or not.

    def score(self, arch: str) -> float:
        self.evaluations += 1
        arch = self.representative[arch]
        scores = self.data["scores"]
        if arch not in scores:
            start = time.perf_counter()
            scores[arch] = self._compute(arch)
            self.data["seconds"] = self.data.get("seconds", 0.0) + time.perf_counter() - start
            self.data["computed"] = self.data.get("computed", 0) + 1
        value = scores[arch]
        return float("nan") if value is None else float(value)

    @property
    def seconds_per_evaluation(self) -> float | None:
        computed = self.data.get("computed", 0)
        return self.data["seconds"] / computed if computed else None

    def save(self) -> None:
        from keras_nas.files import write_json_atomically

        finite = {
            arch: (score if score is not None and np.isfinite(score) else None)
            for arch, score in self.data["scores"].items()
        }
        write_json_atomically(self.path, {**self.data, "scores": finite})

    def _compute(self, arch: str) -> float:
        import keras

        from keras_nas.estimation import zero_cost_score
        from keras_nas.search_spaces import NASBench201Space

        if self._space is None:
            self._space = NASBench201Space(input_shape=(32, 32, 3), num_classes=10, **REDUCED)
        keras.backend.clear_session()
        keras.utils.set_random_seed(0)
        model = self._space.build_model(self._space.from_arch_string(arch))
        return zero_cost_score(model, proxy=self.proxy)


def run_once(
    table: dict,
    cache: ScoreCache | None,
    args: argparse.Namespace,
    seed: int,
    budget: int,
) -> float:
    """One search (with the filter when `cache` is given); the true accuracy it finds."""
    from keras_nas import oracles
    from keras_nas.estimation import ZeroCostFilter

    space = make_space()
    hyperparameters = keras_tuner.HyperParameters()
    space.declare_hyperparameters(hyperparameters)
    zero_cost = None
    if cache is not None:
        zero_cost = ZeroCostFilter(
            args.proxy, candidates=args.candidates, warm_start=args.warm_start
        )
    oracle = oracles.RegularizedEvolutionOracle(
        objective=OBJECTIVE,
        max_trials=budget,
        hyperparameters=hyperparameters,
        seed=seed,
        canonical_key=space.canonical_key,
        zero_cost=zero_cost,
    )
    if cache is not None:
        oracle.candidate_score = lambda values: cache.score(space.to_arch_string(values))
    return search_table(oracle, table, dataset="cifar10", noise=args.noise, seed=seed, space=space)


def representatives(table_path: str) -> dict[str, str]:
    """Each cell of the table -> the first cell of its class of equal cells (`UniqueString`)."""
    with open(table_path, newline="") as file:
        rows = list(csv.DictReader(file))
    first = {}
    for row in rows:
        first.setdefault(row["UniqueString"], row["ArchitectureString"])
    return {row["ArchitectureString"]: first[row["UniqueString"]] for row in rows}


def fill(cache: ScoreCache) -> None:
    """Scores one cell of each class of equal cells, saving as it goes."""
    todo = sorted(set(cache.representative.values()) - set(cache.data["scores"]))
    for done, arch in enumerate(todo, start=1):
        cache.score(arch)
        if done % 100 == 0 or done == len(todo):
            cache.save()
            print(f"scored {done}/{len(todo)}", flush=True)


def correlation(cache: ScoreCache, table: dict) -> tuple[float, int]:
    from keras_nas.estimation.zero_cost_filter import rank_correlation

    # Every cell whose class was scored, with its class's score.
    archs = [arch for arch, first in cache.representative.items() if first in cache.data["scores"]]
    scores = [cache.data["scores"][cache.representative[arch]] for arch in archs]
    scores = [float("nan") if score is None else score for score in scores]
    accuracies = [table[arch]["cifar10"] for arch in archs]
    return rank_correlation(scores, accuracies), len(archs)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from keras_nas.search_spaces import load_nasbench201_table

    cache = ScoreCache(args.scores, args.proxy, representatives(args.table))
    if args.fill:
        fill(cache)
        return 0
    table = load_nasbench201_table(args.table)
    seeds = [1 + args.seed * 100_003 + run for run in range(args.runs)]
    plain_budget = args.plain_budget or args.budget
    plain = [run_once(table, None, args, seed, plain_budget) for seed in seeds]
    filtered = []
    for seed in seeds:
        filtered.append(run_once(table, cache, args, seed, args.budget))
        cache.save()
    rho, cells = correlation(cache, table)
    per_query = cache.evaluations / (args.runs * args.budget)
    cost = cache.seconds_per_evaluation
    print(
        f"{args.proxy} on the reduced network: Spearman {rho:.3f} with CIFAR-10 accuracy over "
        f"{cells} cells scored; "
        + ("no score computed in this run" if cost is None else f"{cost:.3f} s per evaluation")
    )
    print(
        f"budget {args.budget}, noise {args.noise}, {args.runs} runs; candidates "
        f"{args.candidates}, warm start {args.warm_start}"
    )
    print(
        "| setting | trained queries | mean | std | proxy evaluations per query "
        "| proxy seconds per query |"
    )
    print("|---|---|---|---|---|---|")
    print(f"| evolution | {plain_budget} | {np.mean(plain):.2f} | {np.std(plain):.2f} | 0 | 0 |")
    print(
        f"| evolution + {args.proxy} | {args.budget} | {np.mean(filtered):.2f} "
        f"| {np.std(filtered):.2f} "
        f"| {per_query:.1f} | {'-' if cost is None else f'{per_query * cost:.2f}'} |"
    )
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--table", default="../shared/data/nasbench201_test_acc.csv")
    parser.add_argument("--scores", required=True, help="JSON file of cached proxy scores")
    parser.add_argument("--proxy", default="synflow", choices=["synflow", "params", "flops"])
    parser.add_argument("--budget", type=int, default=100)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--noise", type=float, default=0.5)
    parser.add_argument("--candidates", type=int, default=10)
    parser.add_argument("--warm-start", type=int, default=0)
    parser.add_argument(
        "--plain-budget", type=int, help="plain evolution's queries (default: --budget)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fill", action="store_true", help="score every distinct cell, stop")
    return parser


if __name__ == "__main__":
    raise SystemExit(main())
