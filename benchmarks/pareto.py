"""Pareto evolution against random search on accuracy and latency (issue 8).

    TF_CPP_MIN_LOG_LEVEL=2 python benchmarks/pareto.py [--trials 60] [--epochs 1]
        [--seeds 0 1 2] [--population 12] [--sample 2] [--json]

Searches the demo's `MacroSpace` (small CNNs on 8x8 digits) for two objectives at once,
`val_accuracy` (max) and `latency_ms` (min: the median milliseconds of one inference of one
example on this machine, `keras_nas.objectives.measure_latency_ms`), two ways with the same
budget of `--trials` trials of `--epochs` epochs (batch 64), for each seed:

- `pareto`: `keras_nas.EvolutionarySearch` with both objectives, which selects by
  non-dominated rank and crowding (NSGA-II; population `--population`, tournaments of
  `--sample`);
- `random`: `NASTuner` with KerasTuner's `RandomSearchOracle` and the same objectives (the
  same latency measurement, the same training).

The two runs of a seed alternate in order from seed to seed. For each run: the hypervolume of
its trials' front (`keras_nas.objectives.hypervolume`) against one reference point for all
runs: accuracy 0.5, and the largest latency measured in any trial of any run. Printed: each
run's front size and hypervolume, the ratio pareto / random per seed, and their median,
against issue 8's target (>= 1.1). Exit status 1 if the target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import sys
import tempfile
import time

#: Issue 8's bound on the hypervolume ratio of Pareto evolution over random search.
TARGET_RATIO = 1.1
#: The accuracy of the reference point: fronts are measured above it.
REFERENCE_ACCURACY = 0.5
DIRECTIONS = ("max", "min")
BATCH_SIZE = 64


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=60)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--population", type=int, default=12)
    parser.add_argument("--sample", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="also print every trial as JSON")
    args = parser.parse_args(argv)
    print("$ python benchmarks/pareto.py " + shlex.join(sys.argv[1:] if argv is None else argv))
    python = platform.python_version()
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {python}")

    from keras_nas.datasets import load_digits

    data = load_digits()
    points: dict[tuple[int, str], list[tuple[float, float]]] = {}
    for index, seed in enumerate(args.seeds):
        methods = ("pareto", "random") if index % 2 == 0 else ("random", "pareto")
        for method in methods:
            start = time.perf_counter()
            points[seed, method] = search(method, seed, data, args)
            seconds = time.perf_counter() - start
            print(f"seed {seed} {method}: {len(points[seed, method])} trials in {seconds:.0f} s")
            if args.json:
                print(json.dumps({"seed": seed, "method": method, "points": points[seed, method]}))
    return report(points, args)


def search(method: str, seed: int, data, args) -> list[tuple[float, float]]:
    """Runs one search; returns each completed trial's (val_accuracy, latency_ms)."""
    import keras
    import keras_tuner

    from keras_nas import EvolutionarySearch, NASTuner
    from keras_nas.demo import digits_space
    from keras_nas.objectives import Objective

    (x, y), validation = data
    keras.utils.set_random_seed(seed)
    objective = ["val_accuracy", Objective("latency_ms", "min")]
    common = {"directory": tempfile.mkdtemp(), "project_name": method}
    if method == "pareto":
        tuner = EvolutionarySearch(
            digits_space(),
            objective=objective,
            max_trials=args.trials,
            population_size=args.population,
            sample_size=args.sample,
            seed=seed,
            **common,
        )
    else:
        oracle = keras_tuner.oracles.RandomSearchOracle(
            objective=objective, max_trials=args.trials, seed=seed
        )
        tuner = NASTuner(digits_space(), oracle, **common)
    tuner.search(
        x, y, validation_data=validation, epochs=args.epochs, batch_size=BATCH_SIZE, verbose=0
    )
    found = []
    for trial in tuner.oracle.trials.values():
        if trial.status != "COMPLETED":
            continue
        accuracy = trial.metrics.get_best_value("val_accuracy")
        latency = trial.metrics.get_best_value("latency_ms")
        found.append((float(accuracy), float(latency)))
    return found


def report(points: dict[tuple[int, str], list[tuple[float, float]]], args) -> int:
    from keras_nas.objectives import hypervolume, pareto_front

    largest = max(latency for run in points.values() for _, latency in run)
    reference = (REFERENCE_ACCURACY, largest)
    print(f"\nreference point: val_accuracy {reference[0]}, latency_ms {reference[1]:.3f}")
    ratios = []
    for seed in args.seeds:
        volumes = {}
        for method in ("pareto", "random"):
            run = points[seed, method]
            front = [run[i] for i in pareto_front(run, DIRECTIONS)]
            volumes[method] = hypervolume(run, DIRECTIONS, reference)
            best = max(accuracy for accuracy, _ in run)
            fastest = min(latency for _, latency in run)
            print(
                f"seed {seed} {method}: front of {len(front)}, hypervolume "
                f"{volumes[method]:.4f}, best accuracy {best:.4f}, fastest {fastest:.3f} ms"
            )
        ratio = volumes["pareto"] / volumes["random"] if volumes["random"] else float("inf")
        ratios.append(ratio)
        print(f"seed {seed}: hypervolume pareto / random = {ratio:.3f}")
    median = statistics.median(ratios)
    print(
        f"\n{args.trials} trials x {args.epochs} epochs per search, seeds {args.seeds}: "
        f"ratio median {median:.3f} (" + ", ".join(f"{r:.3f}" for r in ratios) + ")"
    )
    met = median >= TARGET_RATIO
    print(f"target hypervolume ratio >= {TARGET_RATIO}: {'PASS' if met else 'FAIL'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
