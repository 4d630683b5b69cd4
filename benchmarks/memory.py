"""Resident memory of one process across hundreds of trials of a search (issue 7).

    TF_CPP_MIN_LOG_LEVEL=2 python benchmarks/memory.py [--trials 200] [--epochs 1]
        [--space mlp] [--weight-sharing] [--threads 0] [--json]

Runs one `EvolutionarySearch` (population 10, tournament 10, seed 0) of `--trials` small
models on digits in this process, with `verbose=0` and a temporary project directory, and
reads the resident set size (`VmRSS` of `/proc/self/status`) at the end of every trial, once
KerasTuner has saved the oracle and a full garbage collection has run. Spaces: `mlp` is
`MLPSpace` on the 64 flattened pixels; `macro` a `MacroSpace` of 2 stages on the 8x8 images
(slower). `--weight-sharing` runs the search with `weight_sharing=True` (a
`SharedLayerRegistry` in the project directory). `--threads` limits TensorFlow's threads.

Printed: resident memory after trials 1, 20, 50, 100 and 200 (those within `--trials`, and
the last), with the numbers of `keras.Model` and `tf.Graph` objects (every traced function
holds a graph) alive in Python then and the seconds since the search began; the peak resident
memory; with `--weight-sharing`, the size of the shared weights held at the end (they grow
with every new layer the search meets, up to the space's size); and the growth from trial 20
to the last trial against the bound of issue 7 (under 150 MB from trial 20 to trial 200):
PASS or FAIL, also the exit status (0 or 1).
`--json` also prints the resident memory after every trial as one JSON line.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import shlex
import sys
import tempfile
import time

import keras
import keras_tuner
import tensorflow as tf

import keras_nas
from keras_nas.datasets import load_digits
from keras_nas.search_spaces import MacroSpace, MLPSpace

#: Issue 7's bound on the growth of resident memory from trial 20 to trial 200.
GROWTH_BOUND_MB = 150.0
#: The trial from which the growth is measured (issue 7), leaving out what the first trials
#: allocate once.
BASELINE_TRIAL = 20
REPORTED_TRIALS = (1, 20, 50, 100, 200)


def resident_mb() -> float:
    """The resident set size of this process in MB (10**6 bytes), from `/proc/self/status`."""
    return _status_mb("VmRSS")


def peak_resident_mb() -> float:
    """The largest resident set size of this process so far in MB (`VmHWM`)."""
    return _status_mb("VmHWM")


def _status_mb(field: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) * 1024 / 1e6
    raise RuntimeError(f"`/proc/self/status` has no `{field}` line: this benchmark needs Linux.")


def live_objects() -> tuple[int, int]:
    """How many `keras.Model` and `tf.Graph` objects (traced functions included) Python holds."""
    objects = gc.get_objects()
    models = sum(1 for obj in objects if isinstance(obj, keras.Model))
    return models, sum(1 for obj in objects if isinstance(obj, tf.Graph))


class MeasuredSearch(keras_nas.EvolutionarySearch):
    """`EvolutionarySearch` that reads the resident memory at the end of every trial."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.resident: list[float] = []
        self.live: dict[int, tuple[int, int]] = {}
        self.seconds: dict[int, float] = {}
        self._start = time.monotonic()

    def on_trial_end(self, trial) -> None:
        super().on_trial_end(trial)
        # What the process keeps, not the garbage of this trial that a collection frees.
        gc.collect()
        self.resident.append(resident_mb())
        number = len(self.resident)
        if number in REPORTED_TRIALS or number == self.oracle.max_trials:
            self.seconds[number] = time.monotonic() - self._start
            self.live[number] = live_objects()


def run_search(args: argparse.Namespace, directory: str) -> MeasuredSearch:
    (x, y), (x_val, y_val) = load_digits(seed=0)
    if args.space == "mlp":
        x, x_val = x.reshape(len(x), -1), x_val.reshape(len(x_val), -1)
        space = MLPSpace(input_shape=x.shape[1:], num_classes=10)
    else:
        space = MacroSpace(input_shape=x.shape[1:], num_classes=10, num_stages=2)
    tuner = MeasuredSearch(
        space,
        objective="val_accuracy",
        max_trials=args.trials,
        seed=0,
        weight_sharing=args.weight_sharing,
        directory=directory,
        project_name="memory",
    )
    tuner.search(x, y, validation_data=(x_val, y_val), epochs=args.epochs, verbose=0)
    return tuner


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--space", choices=("mlp", "macro"), default="mlp")
    parser.add_argument("--weight-sharing", action="store_true")
    parser.add_argument("--threads", type=int, default=0, help="0: TensorFlow's default")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.trials <= BASELINE_TRIAL:
        parser.error(f"--trials must be larger than {BASELINE_TRIAL}; received {args.trials}.")
    if args.threads:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, TensorFlow {tf.__version__}, Keras {keras.__version__}, "
        f"KerasTuner {keras_tuner.__version__}"
    )
    print("command: python benchmarks/memory.py " + shlex.join(sys.argv[1:]))
    before = resident_mb()
    with tempfile.TemporaryDirectory() as directory:
        tuner = run_search(args, directory)
    resident = tuner.resident
    if len(resident) < args.trials:
        raise RuntimeError(f"the search ended after {len(resident)} of {args.trials} trials")
    print(f"\nresident memory before the search: {before:.1f} MB")
    print(
        "\n| after trial | resident MB | live keras.Model | live tf.Graph | seconds |\n"
        "|---|---|---|---|---|"
    )
    for number, (models, graphs) in sorted(tuner.live.items()):
        print(
            f"| {number} | {resident[number - 1]:.1f} | {models} | {graphs} "
            f"| {tuner.seconds[number]:.0f} |"
        )
    growth = resident[-1] - resident[BASELINE_TRIAL - 1]
    verdict = "PASS" if growth < GROWTH_BOUND_MB else "FAIL"
    print(f"\npeak resident memory: {peak_resident_mb():.1f} MB")
    if tuner.registry is not None:
        registry = tuner.registry
        size = sum(array.nbytes for key in registry for array in registry.weights(key))
        print(f"shared weights held: {len(registry)} layers, {size / 1e6:.1f} MB")
    print(
        f"growth from trial {BASELINE_TRIAL} to trial {len(resident)}: {growth:+.1f} MB "
        f"({growth / (len(resident) - BASELINE_TRIAL) * 1000:+.0f} kB per trial); "
        f"bound {GROWTH_BOUND_MB:.0f} MB: {verdict}"
    )
    if args.json:
        record = {
            "space": args.space,
            "weight_sharing": args.weight_sharing,
            "growth_mb": round(growth, 1),
            "resident_mb": [round(value, 1) for value in resident],
        }
        print("RESULTS " + json.dumps(record))
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
