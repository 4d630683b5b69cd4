"""How much a noisy score costs a search on NAS-Bench-201, and what selection rules win back.

    python benchmarks/noisy_selection.py --table ../shared/data/nasbench201_test_acc.csv \\
        [--dataset cifar10] [--noise 0.5] [--runs 300] [--seed 0]

A plain numpy re-implementation of what `RegularizedEvolutionOracle` does with its defaults
(population 10, tournament 10, one mutation, no architecture tried twice by canonical form,
random fallback), run for 100 queries whose reward is the table's test accuracy plus Gaussian
noise of std `--noise`. It then scores rules for choosing the final cell, each as the true
accuracy of the chosen cell (mean +- std over `--runs` runs):

- `best observed`: the cell with the best noisy reward (what the oracle returns);
- `best evaluated`: the truly best cell among those queried (the ceiling of any rule that
  only changes the final choice);
- `GP posterior`: the tournament and the final choice rank cells by the posterior mean of a
  Gaussian process over the cells (exponential kernel of the Hamming distance between the six
  edges; length scale and noise level chosen by marginal likelihood), population 20;
- `re-evaluated`: 80 queries of evolution, then the 5 best observed cells are each measured
  4 more times (20 queries) and the best mean wins;
- `ideal N`: no search at all: 100 cells drawn from the N truly best (for scale).

This is a simulation for deciding what to build, not a measurement of the package: the
package's own figures come from `python -m benchmarks.nasbench201`.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import sys
from collections.abc import Callable

import numpy as np

from keras_nas.search_spaces import NASBench201Space, load_nasbench201_table
from keras_nas.search_spaces.nasbench201_table import DATASET_COLUMNS

NUM_EDGES, NUM_OPS, BUDGET = 6, 5, 100
POPULATION = 10
LENGTH_SCALES = (0.5, 1.0, 2.0)
NOISE_FRACTIONS = (0.05, 0.1, 0.2, 0.4, 0.7)


class Table:
    """Every cell as a tuple of 6 operation indices, with its accuracy and canonical key."""

    def __init__(self, path: str, dataset: str):
        space = NASBench201Space(input_shape=(32, 32, 3), num_classes=10)
        names = list(space.declared_hyperparameters().values)
        rows = load_nasbench201_table(path)
        self.cells = list(itertools.product(range(NUM_OPS), repeat=NUM_EDGES))
        self.accuracy, self.key = {}, {}
        for cell in self.cells:
            values = {name: space.operations[op] for name, op in zip(names, cell, strict=True)}
            self.accuracy[cell] = rows[space.to_arch_string(values)][dataset]
            self.key[cell] = space.canonical_key(values)


class Search:
    """One run of regularized evolution with noisy rewards; `rank` orders the tournament."""

    def __init__(self, table: Table, noise: float, rng: np.random.Generator):
        self.table, self.noise, self.rng = table, noise, rng
        self.cells: list[tuple[int, ...]] = []
        self.rewards: list[float] = []
        self.tried: set[str] = set()

    def measure(self, cell: tuple[int, ...]) -> float:
        return self.table.accuracy[cell] + self.noise * float(self.rng.normal())

    def query(self, cell: tuple[int, ...]) -> None:
        self.cells.append(cell)
        self.rewards.append(self.measure(cell))
        self.tried.add(self.table.key[cell])

    def run(self, budget: int, population: int, rank: Callable) -> None:
        while len(self.cells) < budget:
            child = None
            if len(self.cells) >= population:
                child = self._child(population, rank(self))
            self.query(child or self._random_cell())

    def _child(self, population: int, scores: np.ndarray):
        parent = self.cells[len(self.cells) - population + int(np.argmax(scores[-population:]))]
        for _ in range(100):
            child = list(parent)
            edge = int(self.rng.integers(NUM_EDGES))
            child[edge] = int(self.rng.choice([op for op in range(NUM_OPS) if op != child[edge]]))
            if self.table.key[tuple(child)] not in self.tried:
                return tuple(child)
        return None

    def _random_cell(self) -> tuple[int, ...]:
        while True:
            cell = tuple(int(op) for op in self.rng.integers(NUM_OPS, size=NUM_EDGES))
            if self.table.key[cell] not in self.tried:
                return cell


def observed(search: Search) -> np.ndarray:
    return np.array(search.rewards)


def gp_posterior(search: Search) -> np.ndarray:
    """Posterior mean of a GP over the queried cells, hyperparameters by marginal likelihood."""
    cells, rewards = np.array(search.cells), observed(search)
    distance = (cells[:, None, :] != cells[None, :, :]).sum(-1)
    mean, variance = rewards.mean(), max(rewards.var(), 1e-12)
    best = None
    for length in LENGTH_SCALES:
        kernel = variance * np.exp(-distance / length)
        for fraction in NOISE_FRACTIONS:
            factor = np.linalg.cholesky(kernel + fraction * variance * np.eye(len(rewards)))
            alpha = np.linalg.solve(factor.T, np.linalg.solve(factor, rewards - mean))
            likelihood = -0.5 * (rewards - mean) @ alpha - np.log(np.diag(factor)).sum()
            if best is None or likelihood > best[0]:
                best = (likelihood, mean + kernel @ alpha)
    return best[1]


def rule_results(table: Table, noise: float, seed: int) -> dict[str, float]:
    """The true accuracy of the cell each rule chooses, in one run of each search."""
    results = {}
    search = Search(table, noise, np.random.default_rng(seed))
    search.run(BUDGET, POPULATION, observed)
    results["best observed"] = table.accuracy[search.cells[int(np.argmax(search.rewards))]]
    results["best evaluated"] = max(table.accuracy[cell] for cell in search.cells)

    search = Search(table, noise, np.random.default_rng(seed))
    search.run(BUDGET, 2 * POPULATION, gp_posterior)
    results["GP posterior"] = table.accuracy[search.cells[int(np.argmax(gp_posterior(search)))]]

    search = Search(table, noise, np.random.default_rng(seed))
    search.run(BUDGET - 20, POPULATION, observed)
    finalists = np.argsort(search.rewards)[::-1][:5]
    means = [
        np.mean([search.rewards[i]] + [search.measure(search.cells[i]) for _ in range(4)])
        for i in finalists
    ]
    results["re-evaluated"] = table.accuracy[search.cells[int(finalists[int(np.argmax(means))])]]
    return results


def ideal_results(table: Table, noise: float, seed: int, sizes=(100, 300, 500)) -> dict:
    """100 distinct cells drawn from the N best classes, the best observed one chosen."""
    rng = np.random.default_rng(seed)
    best_of_class: dict[str, float] = {}
    for cell in table.cells:
        key = table.key[cell]
        best_of_class[key] = max(best_of_class.get(key, -np.inf), table.accuracy[cell])
    ranked = np.sort(np.array(list(best_of_class.values())))[::-1]
    results = {}
    for size in sizes:
        picks = ranked[rng.choice(size, size=BUDGET, replace=False)]
        noisy = picks + noise * rng.normal(size=BUDGET)
        results[f"ideal {size}"] = float(picks[int(np.argmax(noisy))])
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", required=True, help="path of nasbench201_test_acc.csv")
    parser.add_argument("--dataset", choices=list(DATASET_COLUMNS), default="cifar10")
    parser.add_argument("--noise", type=float, default=0.5)
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print("command: python benchmarks/noisy_selection.py " + " ".join(sys.argv[1:]))
    table = Table(args.table, args.dataset)
    runs = [
        {**rule_results(table, args.noise, seed), **ideal_results(table, args.noise, seed)}
        for seed in range(args.seed, args.seed + args.runs)
    ]
    print(f"\n{args.dataset}, noise {args.noise}, budget {BUDGET}, {args.runs} runs\n")
    print("| rule | true accuracy of the chosen cell |\n|---|---|")
    for rule in runs[0]:
        values = [run[rule] for run in runs]
        print(f"| {rule} | {np.mean(values):.2f} +- {np.std(values):.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
