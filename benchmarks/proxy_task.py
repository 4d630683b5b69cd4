"""A search on a proxy task, then transfer, against a search on the full task.

    python -m benchmarks.proxy_task [--trials 30] [--epochs 8] [--top-k 5] [--seeds 0]
        [--data-fraction 0.25] [--image-size 8] [--json FILE]

On the `image` task of `benchmarks/spaces.py` (16x16 shapes in noise, 4 classes, 2,000
training and 500 validation images, generated from the seed), `EvolutionarySearch` over
`MacroSpace` runs `--trials` trials twice, side by side with the same seed:

- **full**: every trial trains on all the training images at 16x16 for `--epochs` epochs;
- **proxy**: every trial trains on `ProxyTask(data_fraction=--data-fraction,
  image_size=--image-size)` (a stratified quarter of the images at 8x8 by default), then
  `tuner.transfer(top_k=--top-k)` trains the best architectures on the full setting.

Printed, per seed: each setting's best validation accuracy on the full task (the full
search's best trial; the best transferred architecture), their difference, the proxy
setting's wall time (search and transfer) as a share of the full search's, and the Spearman
correlation between the proxy and full scores of the transferred architectures. Run it from
the repository root, alone on the machine.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import shlex
import sys
import tempfile
import time
from collections.abc import Sequence

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from benchmarks.spaces import make_image_task  # noqa: E402

OBJECTIVE = "val_accuracy"
BATCH_SIZE = 32


def space():
    """The `MacroSpace` both settings search: three stages of every block type."""
    from keras_nas.search_spaces import MacroSpace

    return MacroSpace(input_shape=(16, 16, 1), num_classes=4, widths=(16, 32, 64), depths=(1, 2))


def run_seed(args: argparse.Namespace, seed: int) -> dict:
    """Both settings on the task of `seed`; their results."""
    from keras_nas import EvolutionarySearch
    from keras_nas.estimation import ProxyTask

    (x, y), validation = make_image_task(seed)
    fit = {"validation_data": validation, "epochs": args.epochs, "batch_size": BATCH_SIZE}
    with tempfile.TemporaryDirectory() as directory:
        start = time.perf_counter()
        full = EvolutionarySearch(
            space(),
            objective=OBJECTIVE,
            max_trials=args.trials,
            seed=seed,
            directory=directory,
            project_name="full",
            progress_out=sys.stderr,
        )
        full.search(x, y, **fit)
        full_seconds = time.perf_counter() - start
        full_best = full.oracle.get_best_trials(1)[0].score

        start = time.perf_counter()
        task = ProxyTask(data_fraction=args.data_fraction, image_size=args.image_size, seed=seed)
        proxy = EvolutionarySearch(
            space(),
            objective=OBJECTIVE,
            max_trials=args.trials,
            seed=seed,
            directory=directory,
            project_name="proxy",
            estimation=task,
            progress_out=sys.stderr,
        )
        proxy.search(x, y, **fit)
        search_seconds = time.perf_counter() - start
        quiet = io.StringIO()
        sys.stdout, saved = quiet, sys.stdout
        try:
            result = proxy.transfer(x, y, top_k=args.top_k, **fit)
        finally:
            sys.stdout = saved
        print(quiet.getvalue(), file=sys.stderr, end="")
        proxy_seconds = time.perf_counter() - start
    return {
        "seed": seed,
        "full_best": full_best,
        "full_seconds": full_seconds,
        "transfer_best": result.best.full_score,
        "proxy_search_seconds": search_seconds,
        "proxy_seconds": proxy_seconds,
        "rank_correlation": result.rank_correlation,
        "transferred": [
            {"summary": item.summary, "proxy": item.proxy_score, "full": item.full_score}
            for item in result.architectures
        ],
        "best_architectures": {
            "full": full.oracle.get_best_trials(1)[0].trial_id,
            "transfer": result.best.summary,
        },
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    print(f"`python -m benchmarks.proxy_task {shlex.join(argv or sys.argv[1:])}`")
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print(
        "| seed | full search best | proxy + transfer best | difference (points) | "
        "time vs full (search + transfer) | Spearman proxy/full |"
    )
    print("|---|---|---|---|---|---|")
    results = []
    for seed in args.seeds:
        row = run_seed(args, seed)
        results.append(row)
        share = row["proxy_seconds"] / row["full_seconds"]
        search_share = row["proxy_search_seconds"] / row["full_seconds"]
        rho = "-" if row["rank_correlation"] is None else f"{row['rank_correlation']:.2f}"
        print(
            f"| {seed} | {row['full_best']:.4f} ({row['full_seconds']:.0f} s) "
            f"| {row['transfer_best']:.4f} ({row['proxy_seconds']:.0f} s) "
            f"| {100 * (row['transfer_best'] - row['full_best']):+.2f} "
            f"| {share:.2f} ({search_share:.2f} + {share - search_share:.2f}) | {rho} |",
            flush=True,
        )
    if len(results) > 1:
        differences = [100 * (r["transfer_best"] - r["full_best"]) for r in results]
        shares = [r["proxy_seconds"] / r["full_seconds"] for r in results]
        print(
            f"mean difference {np.mean(differences):+.2f} points (std {np.std(differences):.2f}); "
            f"mean time share {np.mean(shares):.2f}"
        )
    if args.json:
        with open(args.json, "w") as file:
            json.dump(results, file, indent=1)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--top-k", type=int, default=5)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--data-fraction", type=float, default=0.25)
    parser.add_argument("--image-size", type=int, default=8)
    parser.add_argument("--json", help="also write the results to this JSON file")
    return parser


if __name__ == "__main__":
    raise SystemExit(main())
