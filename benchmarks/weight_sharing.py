"""Measures weight sharing: inheritance in multi-trial search, and one-shot search.

    TF_CPP_MIN_LOG_LEVEL=2 python benchmarks/weight_sharing.py [--parts inheritance ranking cost]
        [--trials 15] [--epochs 1] [--seeds 0 1] [--tasks digits image]
        [--spaces nasbench201 macro] [--architectures 30] [--supernet-epochs 30]
        [--supernet-learning-rate 0.003]
        [--cost-trials 30] [--cost-epochs 5]

Inheritance (`NASTuner(..., weight_sharing=True)`): on each task and space, the same
`EvolutionarySearch` (population 5, tournament 5, same seed) runs `--trials` trials of
`--epochs` epochs, once training every candidate from scratch and once with weight sharing.
Printed per run: the best validation accuracy so far after each trial (so after `epochs`,
`2 * epochs`, ... total epochs), and how many total epochs each run needed to reach 95%, 99%
and 100% of the best accuracy the from-scratch run reached ("-": never).

Ranking (`OneShotSearch`, NASBench201Space): the supernet is trained for `--supernet-epochs`
at learning rate `--supernet-learning-rate` (Adam);
then `--architectures` distinct random cells are each scored twice, by the one-shot estimate
(inherited weights, BatchNorm recalibrated on 10 training batches, no training) and stand-alone
(trained from scratch for `--cost-epochs` epochs, best validation accuracy). Printed: Kendall's
tau between the two, and both scores of every cell.

Cost: a from-scratch `EvolutionarySearch` of `--cost-trials` trials of `--cost-epochs` epochs
against `OneShotSearch` with the same number of trials (supernet training + trials + `retrain`
of the top 3 for `--cost-epochs` epochs). Printed: wall seconds of each and their ratio, the
best validation accuracy of the evolutionary search and the best stand-alone accuracy of the
retrained top 3.

Tasks: scikit-learn's 8x8 digits (10 classes) and `image` from `benchmarks/spaces.py`
(16x16 noise images holding one of 4 small shapes at a random position; harder than digits).
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from scipy.stats import kendalltau  # noqa: E402
from spaces import make_image_task  # noqa: E402  (benchmarks/spaces.py)

from keras_nas import EvolutionarySearch, OneShotSearch  # noqa: E402
from keras_nas.datasets import load_digits  # noqa: E402
from keras_nas.search_spaces import MacroSpace, NASBench201Space, SearchSpace  # noqa: E402

BATCH_SIZE = 32
POPULATION = 5
TARGET_FRACTIONS = (0.95, 0.99, 1.0)


def load_task(name: str, seed: int):
    """`((x, y), (x_val, y_val))` and the number of classes of the task `name`."""
    if name == "digits":
        return load_digits(seed=seed), 10
    return make_image_task(seed), 4


def make_space(name: str, input_shape: tuple[int, ...], num_classes: int) -> SearchSpace:
    """The small versions of the spaces that the benchmark searches."""
    if name == "nasbench201":
        return NASBench201Space(
            input_shape=input_shape, num_classes=num_classes, cells_per_stage=1, channels=8
        )
    return MacroSpace(
        input_shape=input_shape,
        num_classes=num_classes,
        num_stages=3,
        widths=(8, 16, 32),
        depths=(1, 2),
    )


def search_curve(
    space: SearchSpace, data, *, weight_sharing: bool, trials: int, epochs: int, seed: int
) -> tuple[list[float], float]:
    """Runs one search; returns each trial's score in order and the wall seconds."""
    (x, y), validation = data
    keras.utils.set_random_seed(seed)  # The same initial weights for both runs' first trial.
    with tempfile.TemporaryDirectory() as directory:
        tuner = EvolutionarySearch(
            space,
            objective="val_accuracy",
            max_trials=trials,
            population_size=POPULATION,
            sample_size=POPULATION,
            seed=seed + 1,
            weight_sharing=weight_sharing,
            directory=directory,
            overwrite=True,
        )
        start = time.monotonic()
        tuner.search(
            x, y, validation_data=validation, epochs=epochs, batch_size=BATCH_SIZE, verbose=0
        )
        seconds = time.monotonic() - start
        ordered = sorted(tuner.oracle.trials.values(), key=lambda trial: int(trial.trial_id))
        return [trial.score if trial.score is not None else 0.0 for trial in ordered], seconds


def epochs_to_reach(scores: list[float], target: float, epochs: int) -> int | None:
    """Total epochs after which the best score so far first reaches `target`."""
    for index, best in enumerate(np.maximum.accumulate(scores)):
        if best >= target:
            return (index + 1) * epochs
    return None


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print("command: python benchmarks/weight_sharing.py " + shlex.join(sys.argv[1:]))
    if "inheritance" in args.parts:
        inheritance(args)
    if "ranking" in args.parts:
        for task in args.tasks:
            for seed in args.seeds:
                ranking(task, seed, args)
    if "cost" in args.parts:
        for task in args.tasks:
            for seed in args.seeds:
                cost(task, seed, args)
    return 0


def inheritance(args: argparse.Namespace) -> None:
    """Epochs to reach a target accuracy, from scratch and with weight sharing."""
    print(f"\n## Inheritance: {args.trials} trials x {args.epochs} epochs, best so far per trial")
    summary = []
    for task in args.tasks:
        for space_name in args.spaces:
            for seed in args.seeds:
                data, num_classes = load_task(task, seed)
                space = make_space(space_name, data[0][0].shape[1:], num_classes)
                runs = {}
                for sharing in (False, True):
                    runs[sharing] = search_curve(
                        space,
                        data,
                        weight_sharing=sharing,
                        trials=args.trials,
                        epochs=args.epochs,
                        seed=seed,
                    )
                best = max(runs[False][0])
                reached = {
                    sharing: [
                        epochs_to_reach(scores, fraction * best, args.epochs)
                        for fraction in TARGET_FRACTIONS
                    ]
                    for sharing, (scores, _) in runs.items()
                }
                for sharing, (scores, seconds) in runs.items():
                    curve = " ".join(f"{value:.3f}" for value in np.maximum.accumulate(scores))
                    label = "shared " if sharing else "scratch"
                    print(
                        f"{task:6s} {space_name:11s} seed {seed} {label} {seconds:6.1f}s  "
                        f"curve: {curve}",
                        flush=True,
                    )
                summary.append((task, space_name, seed, best, reached[False], reached[True]))
    print(
        "\n| task | space | seed | best from scratch | epochs to 95 / 99 / 100% of it: "
        "scratch | with sharing |\n|---|---|---|---|---|---|"
    )
    for task, space_name, seed, best, scratch, shared in summary:
        print(
            f"| {task} | {space_name} | {seed} | {best:.3f} | {_epochs(scratch)} | "
            f"{_epochs(shared)} |"
        )


def _epochs(values: list[int | None]) -> str:
    return " / ".join("-" if value is None else str(value) for value in values)


def random_cells(space: SearchSpace, count: int, rng: np.random.Generator) -> list[dict]:
    """`count` random architectures of the space, no two with the same canonical form."""
    hyperparameters = space.declared_hyperparameters()
    cells, keys = [], set()
    while len(cells) < count:
        values = space.complete_values(
            {hp.name: hp.random_sample(int(rng.integers(2**31))) for hp in hyperparameters.space}
        )
        if space.canonical_key(values) not in keys:
            keys.add(space.canonical_key(values))
            cells.append(values)
    return cells


def train_alone(space: SearchSpace, values: dict, data, epochs: int) -> float:
    """The best validation accuracy of the architecture trained from scratch."""
    (x, y), validation = data
    keras.backend.clear_session()
    history = space.build_model(values).fit(
        x, y, validation_data=validation, epochs=epochs, batch_size=BATCH_SIZE, verbose=0
    )
    return max(history.history["val_accuracy"])


def ranking(task: str, seed: int, args: argparse.Namespace) -> None:
    """Kendall's tau between one-shot estimates and stand-alone accuracies of random cells."""
    data, num_classes = load_task(task, seed)
    (x, y), (x_val, y_val) = data
    space = make_space("nasbench201", x.shape[1:], num_classes)
    keras.utils.set_random_seed(seed)
    with tempfile.TemporaryDirectory() as directory:
        tuner = OneShotSearch(
            space,
            supernet_epochs=args.supernet_epochs,
            supernet_learning_rate=args.supernet_learning_rate,
            seed=seed,
            directory=directory,
        )
        start = time.monotonic()
        tuner.train_supernet(x, y, batch_size=BATCH_SIZE, verbose=0)
        supernet_seconds = time.monotonic() - start
        rng = np.random.default_rng(seed)
        calibration = [x[i : i + BATCH_SIZE] for i in range(0, 10 * BATCH_SIZE, BATCH_SIZE)]
        cells = random_cells(space, args.architectures, rng)
        estimates, losses = [], []
        for values in cells:
            model = tuner.sub_network(values, calibration)
            result = model.evaluate(x_val, y_val, verbose=0, return_dict=True)
            estimates.append(result["accuracy"])
            losses.append(result["loss"])
    alone = [train_alone(space, values, data, args.cost_epochs) for values in cells]
    tau = kendalltau(estimates, alone).statistic
    tau_loss = kendalltau([-loss for loss in losses], alone).statistic
    print(
        f"\n## Ranking: {task}, seed {seed}: Kendall tau {tau:.3f} over {len(cells)} cells "
        f"({tau_loss:.3f} ranking by the one-shot validation loss instead of accuracy; "
        f"supernet {args.supernet_epochs} epochs, {supernet_seconds:.0f}s; stand-alone "
        f"{args.cost_epochs} epochs)"
    )
    print("| cell | one-shot accuracy | one-shot loss | stand-alone |\n|---|---|---|---|")
    for values, estimate, loss, accuracy in sorted(
        zip(cells, estimates, losses, alone, strict=True), key=lambda row: -row[3]
    ):
        print(
            f"| {space.summarize(values)} | {estimate:.3f} | {loss:.3f} | {accuracy:.3f} |",
            flush=True,
        )


def cost(task: str, seed: int, args: argparse.Namespace) -> None:
    """One-shot search + retraining the top 3 against a from-scratch evolutionary search."""
    data, num_classes = load_task(task, seed)
    (x, y), validation = data
    space = make_space("nasbench201", x.shape[1:], num_classes)
    scores, scratch_seconds = search_curve(
        space,
        data,
        weight_sharing=False,
        trials=args.cost_trials,
        epochs=args.cost_epochs,
        seed=seed,
    )
    keras.utils.set_random_seed(seed)
    with tempfile.TemporaryDirectory() as directory:
        tuner = OneShotSearch(
            space,
            max_trials=args.cost_trials,
            supernet_epochs=args.supernet_epochs,
            supernet_learning_rate=args.supernet_learning_rate,
            seed=seed + 1,
            directory=directory,
        )
        start = time.monotonic()
        tuner.search(x, y, validation_data=validation, batch_size=BATCH_SIZE, verbose=0)
        search_seconds = time.monotonic() - start
        retrained = tuner.retrain(top_k=3, epochs=args.cost_epochs, verbose=0)
        one_shot_seconds = time.monotonic() - start
    best_retrained = max(result["stand_alone"] for result in retrained)
    print(
        f"\n## Cost: {task}, seed {seed}, {args.cost_trials} trials\n"
        f"evolution from scratch ({args.cost_epochs} epochs a trial): best {max(scores):.4f} "
        f"in {scratch_seconds:.0f}s\n"
        f"one-shot ({args.supernet_epochs} supernet epochs, then retrain top 3 for "
        f"{args.cost_epochs} epochs): best stand-alone {best_retrained:.4f} in "
        f"{one_shot_seconds:.0f}s (supernet + search {search_seconds:.0f}s)\n"
        f"accuracy difference {100 * (best_retrained - max(scores)):+.2f} points, time ratio "
        f"{one_shot_seconds / scratch_seconds:.3f}",
        flush=True,
    )
    for result in retrained:
        print(
            f"  trial {result['trial_id']}: one-shot {result['one_shot']:.4f}, stand-alone "
            f"{result['stand_alone']:.4f}  {result['architecture']}"
        )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--parts",
        nargs="+",
        choices=["inheritance", "ranking", "cost"],
        default=["inheritance", "ranking", "cost"],
    )
    parser.add_argument("--architectures", type=int, default=30, help="cells ranked (30)")
    parser.add_argument("--supernet-epochs", type=int, default=30, help="(default 30)")
    parser.add_argument(
        "--supernet-learning-rate", type=float, default=3e-3, help="(default 0.003)"
    )
    parser.add_argument("--cost-trials", type=int, default=30, help="(default 30)")
    parser.add_argument("--cost-epochs", type=int, default=5, help="(default 5)")
    parser.add_argument("--trials", type=int, default=15, help="trials per search (default 15)")
    parser.add_argument("--epochs", type=int, default=1, help="epochs per trial (default 1)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument(
        "--tasks", nargs="+", choices=["digits", "image"], default=["digits", "image"]
    )
    parser.add_argument(
        "--spaces", nargs="+", choices=["nasbench201", "macro"], default=["nasbench201", "macro"]
    )
    return parser


if __name__ == "__main__":
    sys.exit(main())
