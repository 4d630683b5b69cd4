"""Measures what the cost term of hardware-aware gradient search buys: FLOPs against accuracy.

    python -m benchmarks.differentiable_cost [--cost-weights 0 1 3] [--seeds 0 1]
        [--epochs 10] [--cost flops] [--alone-epochs 15] [--json FILE]

On digits, `DifferentiableSearch(method="darts")` searches `MobileNetSpace(input_shape=(8, 8,
1), depths=(1, 2), kernels=(3, 5), expansions=(3, 6), width_multipliers=(0.5,))`, FBNet's
relaxation (an MBConv of each kernel and expansion, or a skip at the second position of each
stage), for `--epochs` epochs (batch 64, architecture learning rate 3e-3, collapse control on,
the rest default), once per seed and cost weight. Each derived network is counted (FLOPs and
parameters, `keras_nas.objectives`) and trained from scratch once for `--alone-epochs`
epochs (the space's Adam, batch 64, seed 100), scored by its best validation accuracy.

Printed: per cost weight, the mean over seeds of the derived networks' FLOPs and parameters
(and their ratio to the weight 0's), stand-alone accuracy, the last epoch's relative
expected cost and the search's wall seconds; each seed's architecture. Run it from the
repository root.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from collections.abc import Sequence
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

BATCH_SIZE = 64
SPACE = {
    "input_shape": (8, 8, 1),
    "num_classes": 10,
    "depths": (1, 2),
    "kernels": (3, 5),
    "expansions": (3, 6),
    "width_multipliers": (0.5,),
}


def run(cost_weight: float, seed: int, args: argparse.Namespace) -> dict[str, Any]:
    """One search at `cost_weight`, and its derived network counted and trained alone."""
    import keras

    from keras_nas import DifferentiableSearch
    from keras_nas.datasets import load_digits
    from keras_nas.objectives import count_flops, count_params
    from keras_nas.search_spaces import MobileNetSpace

    (x, y), validation = load_digits()
    space = MobileNetSpace(**SPACE)
    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    tuner = DifferentiableSearch(
        space,
        "darts",
        epochs=args.epochs,
        seed=seed,
        cost_weight=cost_weight,
        cost=args.cost,
        architecture_learning_rate=3e-3,
        directory=tempfile.mkdtemp(),
    )
    start = time.perf_counter()
    tuner.search(x, y, validation_data=validation, batch_size=BATCH_SIZE, verbose=0)
    seconds = time.perf_counter() - start
    values = tuner.get_best_hyperparameters(1)[0].values
    logs = tuner.search_state()["history"][-1]["logs"]
    keras.backend.clear_session()
    keras.utils.set_random_seed(100)
    model = space.build_model(values)
    flops, params = count_flops(model), count_params(model)
    history = model.fit(
        x, y, validation_data=validation, epochs=args.alone_epochs, batch_size=BATCH_SIZE, verbose=0
    )
    return {
        "cost_weight": cost_weight,
        "seed": seed,
        "seconds": seconds,
        "summary": space.describe(values)["summary"],
        "flops": flops,
        "params": params,
        "expected_cost": logs.get("expected_cost"),
        "alone": float(max(history.history["val_accuracy"])),
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    runs = []
    for cost_weight in args.cost_weights:
        for seed in args.seeds:
            result = run(cost_weight, seed, args)
            runs.append(result)
            print(
                f"weight {cost_weight:g} seed {seed}: {result['flops']} FLOPs, "
                f"{result['params']} params, stand-alone {result['alone']:.4f}, "
                f"{result['seconds']:.1f} s, {result['summary']}",
                flush=True,
            )
    _print_table(runs, args.cost_weights)
    if args.json:
        from keras_nas.files import write_json_atomically

        write_json_atomically(
            args.json,
            {
                "command": " ".join(sys.argv),
                "machine": platform.platform(),
                "cpus": os.cpu_count(),
                "runs": runs,
            },
        )
    return 0


def _print_table(runs: list[dict[str, Any]], weights: Sequence[float]) -> None:
    def mean(weight: float, key: str) -> float:
        values = [r[key] for r in runs if r["cost_weight"] == weight and r[key] is not None]
        return float(np.mean(values)) if values else float("nan")

    base_flops, base_params = mean(weights[0], "flops"), mean(weights[0], "params")
    print(
        "\n| cost_weight | FLOPs | / first | params | / first | stand-alone | "
        "expected cost | search seconds |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for weight in weights:
        flops, params = mean(weight, "flops"), mean(weight, "params")
        cost = mean(weight, "expected_cost")
        print(
            f"| {weight:g} | {flops:.0f} | {flops / base_flops:.2f} | {params:.0f} "
            f"| {params / base_params:.2f} | {mean(weight, 'alone'):.4f} "
            f"| {'-' if np.isnan(cost) else f'{cost:.2f}'} | {mean(weight, 'seconds'):.1f} |"
        )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cost-weights", nargs="+", type=float, default=[0.0, 1.0, 3.0])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--cost", default="flops", choices=["flops", "params", "latency_ms"])
    parser.add_argument("--alone-epochs", type=int, default=15)
    parser.add_argument("--json", help="write every run to this JSON file")
    return parser


if __name__ == "__main__":
    sys.exit(main())
