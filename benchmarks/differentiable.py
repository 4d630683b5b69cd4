"""Measures gradient-based search (`DifferentiableSearch`) against evolution and random search.

    python -m benchmarks.differentiable --table ../shared/data/nasbench201_test_acc.csv \\
        [--tasks digits image] [--seeds 0 1 2 3 4] [--epochs 20]
        [--methods darts gdas] [--collapse on off] [--architecture-learning-rate 0.003]
        [--evolution-trials 30] [--random 30] [--alone-epochs 15] [--alone-seeds 2]
        [--cache FILE] [--json FILE]

On each task, with `NASBench201Space(cells_per_stage=1, channels=8)` (all 5 operations):

- **Differentiable**: `DifferentiableSearch` for `--epochs` epochs (batch 64), each method of
  `--methods` with collapse control on and off, once per seed. Timed: the whole `search`
  (supernet training and recording the derived trial; retraining excluded). The paper's
  architecture learning rate (3e-4) moves the parameters by at most 3e-4 per step; an epoch of
  digits is 23 steps, against 391 on CIFAR-10, so the benchmark raises it to
  `--architecture-learning-rate` (default 3e-3); everything else is the default.
- **Evolution**: `EvolutionarySearch` (regularized evolution, population 5) of
  `--evolution-trials` trials, each trained for the same `--epochs` epochs (batch 64), once
  per seed; timed the same way.
- **Random**: `--random` architectures drawn uniformly (one draw per task).

Every search runs in a subprocess of its own, so that its wall time and its peak resident
memory (`VmHWM`, beside the resident memory after importing TensorFlow) are its alone.
Each architecture named (each search's derived cell, evolution's best trial, the random ones)
is then trained from scratch `--alone-seeds` times for `--alone-epochs` epochs (the space's
Adam, batch 64) and scored by the mean of its best validation accuracies: the stand-alone
accuracy, the same for every method. `--cache` keeps those trainings across runs.

Printed per task: each setting's mean wall seconds and their ratio to evolution's, the mean
stand-alone accuracy of the derived cells against evolution's best and the median of the
random ones, the number of parameter-free edges (`none`, `skip_connect`, `avg_pool_3x3`) of
each seed's cell, the peak memory, and the CIFAR-10 test accuracy of each derived cell in the
NAS-Bench-201 table (`--table`, read by path, never copied) beside the published 54.30
(DARTS) and 93.61 (GDAS). Run it from the repository root.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

BATCH_SIZE = 64
PARAMETER_FREE = ("none", "skip_connect", "avg_pool_3x3")
PUBLISHED = {"darts": 54.30, "gdas": 93.61}
IMAGE_VALIDATION = 2000


# ------------------------------------------------------------------------ one search (child)
def load_task(name: str, seed: int = 0):
    """`((x, y), (x_val, y_val))` and the number of classes of the task `name`."""
    from keras_nas.datasets import load_digits

    if name == "digits":
        return load_digits(seed=seed), 10
    from benchmarks.spaces import make_image_task

    return make_image_task(seed, num_val=IMAGE_VALIDATION), 4


def make_space(task: str):
    from keras_nas.search_spaces import NASBench201Space

    ((x, _), _), classes = load_task(task)
    return NASBench201Space(
        input_shape=x.shape[1:], num_classes=classes, cells_per_stage=1, channels=8
    )


def run_search(job: dict[str, Any]) -> dict[str, Any]:
    """One search, in this process: its wall seconds, memory and the architecture it names."""
    import keras

    from benchmarks.memory import peak_resident_mb, resident_mb
    from keras_nas import DifferentiableSearch, EvolutionarySearch

    (x, y), validation = load_task(job["task"])[0]
    space = make_space(job["task"])
    keras.utils.set_random_seed(job["seed"])
    directory = tempfile.mkdtemp()
    before = resident_mb()
    start = time.perf_counter()
    if job["kind"] == "evolution":
        tuner = EvolutionarySearch(
            space,
            objective="val_accuracy",
            max_trials=job["trials"],
            population_size=5,
            sample_size=5,
            seed=job["seed"],
            directory=directory,
        )
        tuner.search(
            x, y, validation_data=validation, epochs=job["epochs"], batch_size=BATCH_SIZE, verbose=0
        )
    else:
        tuner = DifferentiableSearch(
            space,
            job["method"],
            epochs=job["epochs"],
            seed=job["seed"],
            collapse_control=job["collapse"],
            architecture_learning_rate=job["architecture_learning_rate"],
            directory=directory,
        )
        tuner.search(x, y, validation_data=validation, batch_size=BATCH_SIZE, verbose=0)
    seconds = time.perf_counter() - start
    best = tuner.oracle.get_best_trials(1)[0]
    return {
        **job,
        "seconds": seconds,
        "arch": space.to_arch_string(best.hyperparameters.values),
        "search_score": best.score,
        "rss_after_import_mb": before,
        "peak_rss_mb": peak_resident_mb(),
    }


def in_subprocess(job: dict[str, Any]) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.differentiable", "--job", json.dumps(job)],
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("RESULT ")]
    if result.returncode != 0 or not lines:
        raise RuntimeError(f"The search {job} failed:\n{result.stderr[-3000:]}")
    return json.loads(lines[-1][len("RESULT ") :])


# ------------------------------------------------------------------- stand-alone accuracy
def stand_alone(task: str, arch: str, seed: int, epochs: int, cache: dict) -> float:
    """The best validation accuracy of one training of `arch` from scratch (cached)."""
    key = f"{task}|{arch}|{seed}|{epochs}"
    if key not in cache:
        import keras

        (x, y), validation = load_task(task)[0]
        space = make_space(task)
        keras.backend.clear_session()
        keras.utils.set_random_seed(seed)
        model = space.build_model(space.from_arch_string(arch))
        history = model.fit(
            x, y, validation_data=validation, epochs=epochs, batch_size=BATCH_SIZE, verbose=0
        )
        cache[key] = float(max(history.history["val_accuracy"]))
    return cache[key]


def random_architectures(task: str, count: int, seed: int) -> list[str]:
    space = make_space(task)
    rng = np.random.default_rng(seed)
    ops = space.operations
    return [
        space.summarize({f"cell/edge_{e}/op": ops[rng.integers(len(ops))] for e in range(1, 7)})
        for _ in range(count)
    ]


def parameter_free_edges(arch: str) -> int:
    return sum(arch.count(f"|{op}~") for op in PARAMETER_FREE)


# ------------------------------------------------------------------------------ the report
def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.job:
        print("RESULT " + json.dumps(run_search(json.loads(args.job))), flush=True)
        return 0
    from keras_nas.search_spaces import load_nasbench201_table

    table = load_nasbench201_table(args.table)
    cache = _read_json(args.cache) if args.cache else {}
    report: dict[str, Any] = {
        "command": " ".join(sys.argv),
        "machine": platform.platform(),
        "cpus": os.cpu_count(),
        "tasks": {},
    }
    for task in args.tasks:
        runs = []
        for seed in args.seeds:
            jobs = [
                {
                    "kind": "evolution",
                    "task": task,
                    "seed": seed,
                    "epochs": args.epochs,
                    "trials": args.evolution_trials,
                }
            ]
            jobs += [
                {
                    "kind": "differentiable",
                    "task": task,
                    "seed": seed,
                    "epochs": args.epochs,
                    "method": method,
                    "collapse": collapse == "on",
                    "architecture_learning_rate": args.architecture_learning_rate,
                }
                for method in args.methods
                for collapse in args.collapse
            ]
            for job in jobs:
                run = in_subprocess(job)
                run["alone"] = [
                    stand_alone(task, run["arch"], 100 + s, args.alone_epochs, cache)
                    for s in range(args.alone_seeds)
                ]
                run["cifar10"] = table[run["arch"]]["cifar10"]
                runs.append(run)
                _progress(run)
                if args.cache:
                    _write_json(args.cache, cache)
        randoms = random_architectures(task, args.random, seed=1234)
        random_scores = [
            float(
                np.mean(
                    [
                        stand_alone(task, arch, 100 + s, args.alone_epochs, cache)
                        for s in range(args.alone_seeds)
                    ]
                )
            )
            for arch in randoms
        ]
        if args.cache:
            _write_json(args.cache, cache)
        report["tasks"][task] = {
            "runs": runs,
            "random": dict(zip(randoms, random_scores, strict=True)),
        }
        _print_task(task, runs, random_scores)
    if args.json:
        _write_json(args.json, report)
    return 0


def _progress(run: dict[str, Any]) -> None:
    name = (
        run["kind"]
        if run["kind"] == "evolution"
        else (f"{run['method']} collapse {'on' if run['collapse'] else 'off'}")
    )
    print(
        f"{run['task']} seed {run['seed']} {name}: {run['seconds']:.1f} s, "
        f"peak {run['peak_rss_mb']:.0f} MB, stand-alone {np.mean(run['alone']):.4f}, "
        f"{run['arch']}",
        flush=True,
    )


def _print_task(task: str, runs: list[dict], random_scores: list[float]) -> None:
    evolution = [r for r in runs if r["kind"] == "evolution"]
    evo_seconds = float(np.mean([r["seconds"] for r in evolution]))
    evo_alone = float(np.mean([np.mean(r["alone"]) for r in evolution]))
    print(
        f"\n{task}: evolution {evo_seconds:.1f} s, stand-alone {evo_alone:.4f}; "
        f"random median {np.median(random_scores):.4f}"
    )
    print(
        "| setting | seconds | / evolution | stand-alone | vs evolution | > random median "
        "| parameter-free edges per seed | peak MB (after import) | NB201 CIFAR-10 |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    settings = sorted({(r["method"], r["collapse"]) for r in runs if r["kind"] != "evolution"})
    for method, collapse in settings:
        group = [r for r in runs if r.get("method") == method and r.get("collapse") == collapse]
        seconds = float(np.mean([r["seconds"] for r in group]))
        alone = float(np.mean([np.mean(r["alone"]) for r in group]))
        print(
            f"| {method}, collapse {'on' if collapse else 'off'} | {seconds:.1f} "
            f"| {seconds / evo_seconds:.3f} | {alone:.4f} | {100 * (alone - evo_alone):+.2f} "
            f"| {alone > np.median(random_scores)} "
            f"| {' '.join(str(parameter_free_edges(r['arch'])) for r in group)} "
            f"| {np.mean([r['peak_rss_mb'] for r in group]):.0f} "
            f"({np.mean([r['rss_after_import_mb'] for r in group]):.0f}) "
            f"| {np.mean([r['cifar10'] for r in group]):.2f} (published {PUBLISHED[method]}) |"
        )


def _read_json(path: str) -> dict:
    if not os.path.exists(path):
        return {}
    with open(path) as file:
        return json.load(file)


def _write_json(path: str, data: Any) -> None:
    from keras_nas.files import write_json_atomically

    write_json_atomically(path, data)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--table", default="../shared/data/nasbench201_test_acc.csv")
    parser.add_argument(
        "--tasks", nargs="+", default=["digits", "image"], choices=["digits", "image"]
    )
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument(
        "--methods", nargs="+", default=["darts", "gdas"], choices=["darts", "gdas"]
    )
    parser.add_argument("--collapse", nargs="+", default=["on", "off"], choices=["on", "off"])
    parser.add_argument("--architecture-learning-rate", type=float, default=3e-3)
    parser.add_argument("--evolution-trials", type=int, default=30)
    parser.add_argument("--random", type=int, default=30)
    parser.add_argument("--alone-epochs", type=int, default=15)
    parser.add_argument("--alone-seeds", type=int, default=2)
    parser.add_argument("--cache", help="a JSON file that keeps stand-alone trainings")
    parser.add_argument("--json", help="write every run to this JSON file")
    parser.add_argument("--job", help=argparse.SUPPRESS)
    return parser


if __name__ == "__main__":
    sys.exit(main())
