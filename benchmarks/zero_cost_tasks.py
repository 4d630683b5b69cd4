"""How well the zero-cost proxies rank architectures on our own tasks, against training.

    python -m benchmarks.zero_cost_tasks [--tasks digits image] [--architectures 50]
        [--epochs 10] [--seed 0] [--cache FILE]

For each task (`digits`: scikit-learn's 8x8 digits, 10 classes, 1,437 / 360 images;
`image`: the 16x16 shapes-in-noise task of `benchmarks/spaces.py`, 4 classes, 2,000 / 500),
draws `--architectures` distinct random cells of `NASBench201Space(cells_per_stage=1,
channels=8)` (distinct by `canonical_key`, drawn with `--seed`). Each network is built once
(Keras's seed: the cell's number), scored untrained by every proxy of `ZERO_COST_PROXIES` on
one mini-batch of 64 of the task's training examples (`mini_batch`, seed 0), then that same
network is trained alone for `--epochs` epochs (Adam, batch 64); its stand-alone accuracy is
its best validation accuracy. Printed: the Spearman and Kendall rank correlation of each
proxy with the stand-alone accuracy, per task, and the seconds per architecture for scoring
and for training. `--cache` keeps each architecture's scores and accuracy, so a run can be
extended or repeated. Run it from the repository root, alone on the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import sys
import time
from collections.abc import Sequence

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from benchmarks.estimation import correlations  # noqa: E402


def load_task(name: str):
    """`((x, y), (x_val, y_val))` and the number of classes of a task."""
    if name == "digits":
        from keras_nas.datasets import load_digits

        return load_digits(), 10
    from benchmarks.spaces import NUM_CLASSES, make_image_task

    return make_image_task(0), NUM_CLASSES


def draw_cells(space, count: int, seed: int) -> list[dict]:
    """`count` distinct random architectures of `space` (distinct by `canonical_key`)."""
    import keras_tuner

    rng = np.random.default_rng(seed)
    declared = keras_tuner.HyperParameters()
    space.declare_hyperparameters(declared)
    cells, keys = [], set()
    while len(cells) < count:
        values = {hp.name: hp.values[rng.integers(len(hp.values))] for hp in declared.space}
        key = space.canonical_key(values)
        if key not in keys:
            keys.add(key)
            cells.append(values)
    return cells


def measure(space, values: dict, number: int, data, epochs: int) -> dict:
    """The proxies' scores of the untrained network and its stand-alone accuracy."""
    import keras

    from keras_nas.estimation import ZERO_COST_PROXIES, mini_batch, zero_cost_scores

    (x, y), validation = data
    keras.backend.clear_session()
    keras.utils.set_random_seed(number)
    model = space.build_model(values)
    start = time.perf_counter()
    x_batch, y_batch = mini_batch(x, y, batch_size=64, seed=0)
    scores = zero_cost_scores(model, x_batch, y_batch, proxies=ZERO_COST_PROXIES)
    scoring = time.perf_counter() - start
    start = time.perf_counter()
    history = model.fit(x, y, validation_data=validation, epochs=epochs, batch_size=64, verbose=0)
    return {
        "scores": scores,
        "accuracy": float(max(history.history["val_accuracy"])),
        "scoring_seconds": scoring,
        "training_seconds": time.perf_counter() - start,
    }


def run_task(name: str, args: argparse.Namespace, cache: dict) -> list[dict]:
    from keras_nas.search_spaces import NASBench201Space

    data, num_classes = load_task(name)
    space = NASBench201Space(
        input_shape=data[0][0].shape[1:], num_classes=num_classes, cells_per_stage=1, channels=8
    )
    rows = []
    for number, values in enumerate(draw_cells(space, args.architectures, args.seed)):
        key = f"{name}|{space.to_arch_string(values)}|{number}|{args.epochs}"
        if key not in cache:
            cache[key] = measure(space, values, number, data, args.epochs)
            if args.cache:
                from keras_nas.files import write_json_atomically

                write_json_atomically(args.cache, cache)
        row = cache[key]
        print(
            f"[{name} {number + 1}/{args.architectures}] {row['accuracy']:.4f} "
            f"{space.to_arch_string(values)}",
            file=sys.stderr,
            flush=True,
        )
        rows.append(row)
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    cache = {}
    if args.cache and os.path.exists(args.cache):
        with open(args.cache) as file:
            cache = json.load(file)
    print(f"`python -m benchmarks.zero_cost_tasks {shlex.join(argv or sys.argv[1:])}`")
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    for name in args.tasks:
        rows = run_task(name, args, cache)
        accuracies = [row["accuracy"] for row in rows]
        print(
            f"\n{name}: {len(rows)} architectures, stand-alone accuracy "
            f"{min(accuracies):.3f} to {max(accuracies):.3f}; "
            f"{np.mean([r['scoring_seconds'] for r in rows]):.2f} s scoring (every proxy), "
            f"{np.mean([r['training_seconds'] for r in rows]):.1f} s training, per architecture"
        )
        print("| proxy | Spearman | Kendall |")
        print("|---|---|---|")
        for proxy in rows[0]["scores"]:
            spearman, kendall = correlations([r["scores"][proxy] for r in rows], accuracies)
            print(f"| {proxy} | {spearman:.3f} | {kendall:.3f} |")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--tasks", nargs="+", default=["digits", "image"], choices=["digits", "image"]
    )
    parser.add_argument("--architectures", type=int, default=50)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", help="a JSON file that keeps each architecture's results")
    return parser


if __name__ == "__main__":
    raise SystemExit(main())
