"""Measures how well the zero-cost proxies rank NAS-Bench-201 cells, against the real benchmark.

    python -m benchmarks.estimation --table ../shared/data/nasbench201_test_acc.csv \\
        [--cells 200] [--seed 0] [--data shapes noise] [--batch-size 64] [--cache FILE]
        [--cells-per-stage 5] [--channels 16]

Draws `--cells` cells uniformly from the NAS-Bench-201 table (`--table`, read by path, never
copied), builds each as `NASBench201Space(input_shape=(32, 32, 3), num_classes=10)` (the
benchmark's network: `--cells-per-stage 5`, `--channels 16`; fewer make a reduced network;
Keras's default initializers, weights seeded by the cell's index), scores it with every proxy
of `ZERO_COST_PROXIES`, and prints the Spearman and Kendall rank correlation of each proxy
with the cells' CIFAR-10 test accuracy in the table, and the seconds per cell.

CIFAR-10 cannot be downloaded here, so the data-dependent proxies (`naswot`, `jacob_cov`,
`grad_norm`, `snip`) score one batch of `--batch-size` generated images, each kind of
`--data` in turn (the same batch for every cell):

- `shapes`: the shape-in-noise image task of `benchmarks/spaces.py` (4 classes), scaled to
  32x32 and repeated over 3 channels;
- `noise`: standard normal images, labels drawn uniformly from the 10 classes.

`synflow`, `params` and `flops` read no data. `--cache` keeps each cell's scores, so that a
run can be extended or repeated without scoring a cell twice. Run it from the repository
root.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Sequence

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

DATA_PROXIES = ("naswot", "jacob_cov", "grad_norm", "snip")
PUBLISHED = {  # Spearman with CIFAR-10 accuracy, Abdelfattah et al. 2021 (15,625 cells)
    "synflow": 0.74,
    "jacob_cov": 0.73,
    "grad_norm": 0.58,
    "snip": 0.58,
}


def generated_batch(kind: str, size: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A batch of `size` 32x32x3 images and labels: `"shapes"` or `"noise"`."""
    if kind == "noise":
        rng = np.random.default_rng(seed)
        x = rng.normal(size=(size, 32, 32, 3)).astype("float32")
        return x, rng.integers(10, size=size)
    from benchmarks.spaces import make_image_task

    (x, y), _ = make_image_task(seed, num_train=size, num_val=0)
    x = np.repeat(np.repeat(np.repeat(x, 2, axis=1), 2, axis=2), 3, axis=3)
    return x.astype("float32"), y


def score_cell(arch: str, index: int, batches: dict, args: argparse.Namespace) -> dict[str, float]:
    """Every proxy of one cell: `{proxy: score}`, data-dependent ones as `proxy/data`, and
    the seconds it took (`seconds`, building included)."""
    import keras

    from keras_nas.estimation import ZERO_COST_PROXIES, zero_cost_scores
    from keras_nas.search_spaces import NASBench201Space

    start = time.perf_counter()
    keras.backend.clear_session()
    keras.utils.set_random_seed(index)
    space = NASBench201Space(
        input_shape=(32, 32, 3),
        num_classes=10,
        cells_per_stage=args.cells_per_stage,
        channels=args.channels,
    )
    model = space.build_model(space.from_arch_string(arch))
    free = [proxy for proxy in ZERO_COST_PROXIES if proxy not in DATA_PROXIES]
    scores = zero_cost_scores(model, proxies=free)
    for kind, (x, y) in batches.items():
        data = zero_cost_scores(model, x, y, proxies=DATA_PROXIES, batch_size=args.batch_size)
        scores.update({f"{proxy}/{kind}": score for proxy, score in data.items()})
    scores["seconds"] = time.perf_counter() - start
    return scores


def correlations(scores: Sequence[float], accuracies: Sequence[float]) -> tuple[float, float]:
    """Spearman and Kendall rank correlation; a NaN or infinite score ranks last."""
    from scipy import stats

    from keras_nas.estimation import ranking_score

    ranked = [ranking_score(score) for score in scores]
    ranked = np.nan_to_num(ranked, neginf=np.finfo("float64").min)
    return (
        float(stats.spearmanr(ranked, accuracies).statistic),
        float(stats.kendalltau(ranked, accuracies).statistic),
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from keras_nas.search_spaces.nasbench201_table import load_nasbench201_table

    table = load_nasbench201_table(args.table)
    archs = sorted(table)
    rng = np.random.default_rng(args.seed)
    indices = sorted(rng.choice(len(archs), args.cells, replace=False).tolist())
    batches = {kind: generated_batch(kind, args.batch_size) for kind in args.data}
    cache = _read_json(args.cache) if args.cache else {}
    key = f"batch{args.batch_size}-cells{args.cells_per_stage}-channels{args.channels}"
    for done, index in enumerate(indices, start=1):
        arch = archs[index]
        cached = cache.get(key, {}).get(arch, {})
        if not all(f"{proxy}/{kind}" in cached for proxy in DATA_PROXIES for kind in args.data):
            cached = {**cached, **score_cell(arch, index, batches, args)}
            cache.setdefault(key, {})[arch] = cached
            if args.cache:
                _write_json(args.cache, cache)
        print(f"[{done}/{len(indices)}] {arch} {cached['seconds']:.1f} s", flush=True)
    rows = [cache[key][archs[index]] for index in indices]
    accuracies = [table[archs[index]]["cifar10"] for index in indices]
    _print_table(rows, accuracies, args)
    return 0


def _print_table(rows: list[dict], accuracies: list[float], args: argparse.Namespace) -> None:
    names = [name for name in rows[0] if name != "seconds"]
    print(
        f"\n{len(rows)} NAS-Bench-201 cells (seed {args.seed}), {args.cells_per_stage} cells "
        f"per stage, {args.channels} channels, batch {args.batch_size}; "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; "
        f"{np.mean([row['seconds'] for row in rows]):.1f} s per cell, building and every proxy."
    )
    print("\n| proxy | data | Spearman | Kendall | published Spearman | NaN or infinite |")
    print("|---|---|---|---|---|---|")
    for name in names:
        proxy, _, data = name.partition("/")
        scores = [row[name] for row in rows]
        spearman, kendall = correlations(scores, accuracies)
        bad = sum(not np.isfinite(score) for score in scores)
        print(
            f"| {proxy} | {data or '-'} | {spearman:.3f} | {kendall:.3f} "
            f"| {PUBLISHED.get(proxy, '-')} | {bad} |"
        )


def _read_json(path: str) -> dict:
    if not os.path.exists(path):
        return {}
    with open(path) as file:
        return json.load(file)


def _write_json(path: str, data: dict) -> None:
    from keras_nas.files import write_json_atomically

    write_json_atomically(path, data)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--table", default="../shared/data/nasbench201_test_acc.csv")
    parser.add_argument("--cells", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--data", nargs="+", default=["shapes", "noise"], choices=["shapes", "noise"]
    )
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--cells-per-stage", type=int, default=5)
    parser.add_argument("--channels", type=int, default=16)
    parser.add_argument("--cache", help="a JSON file that keeps each cell's scores")
    return parser


if __name__ == "__main__":
    raise SystemExit(main())
