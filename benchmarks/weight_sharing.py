"""Measures weight sharing: inheritance in multi-trial search, and one-shot search.

    TF_CPP_MIN_LOG_LEVEL=2 python benchmarks/weight_sharing.py [--parts inheritance ranking cost]
        [--trials 15] [--epochs 1] [--seeds 0 1] [--tasks digits image]
        [--spaces nasbench201 macro] [--architectures 30] [--supernet-epochs 30]
        [--supernet-learning-rate 0.003] [--supernet-schedule constant]
        [--path-sampling uniform] [--supernet-seed N]
        [--calibration-batches 10]
        [--cost-trials 30] [--cost-epochs 5] [--alone-epochs 15] [--alone-seeds 2]
        [--alone-learning-rate 0.003] [--alone-schedule cosine]
        [--jobs 1] [--threads-per-job 1] [--alone-cache FILE]

Inheritance (`NASTuner(..., weight_sharing=True)`): on each task and space, the same
`EvolutionarySearch` (population 5, tournament 5, same seed) runs `--trials` trials of
`--epochs` epochs, once training every candidate from scratch and once with weight sharing.
Printed per run: the best validation accuracy so far after each trial (so after `epochs`,
`2 * epochs`, ... total epochs), and how many total epochs each run needed to reach 95%, 99%
and 100% of the best accuracy the from-scratch run reached ("-": never).

Stand-alone accuracy, the ground truth of the two one-shot parts: the architecture trained
from scratch `--alone-seeds` times (a different seed each time) for `--alone-epochs` epochs
with Adam at `--alone-learning-rate`, decayed to 0 by a cosine (`--alone-schedule cosine`,
as NAS-Bench-201 trains) or constant; the mean over the seeds of the best validation accuracy
of each training. Without the decay the last epochs are noisy: on the image task the seeds of
one architecture differed by 0.028 on average and ranked 30 cells with a tau of only 0.55
against each other; with it, 0.010 and 0.65.

Ranking (`OneShotSearch`, on each space of `--spaces` that has a supernet; the others are
skipped with the reason): the supernet is trained for `--supernet-epochs` at learning rate
`--supernet-learning-rate` (Adam; kept, or decayed towards 0 by `--supernet-schedule
cosine`), each step on an architecture picked by `--path-sampling`;
then `--architectures` distinct random architectures are each scored by the one-shot
estimate (inherited weights, BatchNorm recalibrated on `--calibration-batches` training
batches, no training) and by their stand-alone accuracy. `--supernet-seed` changes only the
supernet's initial weights and paths (by default they follow the run's seed), so reruns with
other values show how much tau varies with the supernet alone, against the same architectures
and ground truth.
Printed: Kendall's tau between the two (also ranking by the one-shot loss), Spearman's rho,
tau over the working architectures only (stand-alone accuracy above 1.5 / number of classes),
the ground truth's repeatability (tau between its seeds), and every architecture's scores with
the accuracy of each stand-alone training.

Cost (same spaces): a from-scratch `EvolutionarySearch` of `--cost-trials` trials of
`--cost-epochs` epochs against `OneShotSearch` with the same number of trials (supernet
training + trials + `retrain` of the top 3 for `--cost-epochs` epochs). Each method then names
one architecture: evolution its best trial, one-shot the retrained architecture with the best
stand-alone score. Both are evaluated alike, outside the timing, by their stand-alone accuracy.
Printed: wall seconds of each search and their ratio (one-shot's split into the supernet and
the trials), both chosen architectures with their stand-alone accuracies and the difference in
points, the supernet's score of evolution's choice beside that of its own best trial (after
the clock stops: whether the supernet rates the better architecture lower or the search never
met it), and evolution's best search score (the maximum of many noisy trainings, an
optimistic figure) for reference.

`--jobs N` runs the stand-alone trainings in N spawned worker processes, each limited to
`--threads-per-job` TensorFlow threads; `--jobs 1` runs them in this process. The searches
themselves always run in this process.

Tasks: scikit-learn's 8x8 digits (10 classes, 1,437 training and 360 validation images) and
`image` from `benchmarks/spaces.py` (16x16 noise images holding one of 4 small shapes at a
random position; harder than digits; 2,000 training and 2,000 validation images).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import functools
import json
import multiprocessing
import os
import platform
import shlex
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from scipy.stats import kendalltau, spearmanr  # noqa: E402
from spaces import make_image_task  # noqa: E402  (benchmarks/spaces.py)

from keras_nas import EvolutionarySearch, OneShotSearch  # noqa: E402
from keras_nas.datasets import load_digits  # noqa: E402
from keras_nas.files import write_json_atomically  # noqa: E402
from keras_nas.search_spaces import MacroSpace, NASBench201Space, SearchSpace  # noqa: E402
from keras_nas.tuners.one_shot.sampling import RULES  # noqa: E402
from keras_nas.tuners.one_shot.search import SCHEDULES  # noqa: E402

BATCH_SIZE = 32
POPULATION = 5
TARGET_FRACTIONS = (0.95, 0.99, 1.0)
RETRAIN_TOP_K = 3
# Run `seed` trains its stand-alone networks with seeds `SEED_STRIDE * seed + 0, 1, ...`, so
# no two runs share a training seed.
SEED_STRIDE = 1000
# Architectures whose stand-alone accuracy is at most this multiple of chance are degenerate.
WORKING_FACTOR = 1.5
# Validation images of the image task: with 500, one architecture's accuracy (about 0.8) has a
# sampling error of about 0.018, as large as the gaps between architectures being ranked.
IMAGE_VALIDATION = 2000
BENCHMARKS_DIR = os.path.dirname(os.path.abspath(__file__))


def load_task(name: str, seed: int):
    """`((x, y), (x_val, y_val))` and the number of classes of the task `name`."""
    if name == "digits":
        return load_digits(seed=seed), 10
    return make_image_task(seed, num_val=IMAGE_VALIDATION), 4


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


@dataclass
class EvolutionRun:
    """One evolutionary search: each trial's score in order, the best trial's values, seconds."""

    scores: list[float]
    best_values: dict[str, Any]
    seconds: float


def run_evolution(
    space: SearchSpace, data, *, weight_sharing: bool, trials: int, epochs: int, seed: int
) -> EvolutionRun:
    """Runs one `EvolutionarySearch`; the search alone is timed."""
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
        best_values = tuner.oracle.get_best_trials(1)[0].hyperparameters.values
        return EvolutionRun(
            scores=[trial.score if trial.score is not None else 0.0 for trial in ordered],
            best_values=space.complete_values(best_values),
            seconds=seconds,
        )


def search_curve(
    space: SearchSpace, data, *, weight_sharing: bool, trials: int, epochs: int, seed: int
) -> tuple[list[float], float]:
    """Runs one search; returns each trial's score in order and the wall seconds."""
    run = run_evolution(
        space, data, weight_sharing=weight_sharing, trials=trials, epochs=epochs, seed=seed
    )
    return run.scores, run.seconds


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
    command = sys.argv[1:] if argv is None else argv
    print("command: python benchmarks/weight_sharing.py " + shlex.join(command))
    if "inheritance" in args.parts:
        inheritance(args)
    one_shot_parts = [part for part in ("ranking", "cost") if part in args.parts]
    if not one_shot_parts:
        return 0
    with stand_alone_trainer(args.jobs, args.threads_per_job, args.alone_cache) as train_alone:
        for part in one_shot_parts:
            measure = ranking if part == "ranking" else cost
            for task, space_name, seed in one_shot_runs(args, part):
                measure(task, space_name, seed, args, train_alone)
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


# ------------------------------------------------------------------- stand-alone training
@dataclass(frozen=True)
class AloneJob:
    """One stand-alone training, as plain data that a worker process can receive."""

    space_name: str
    task: str
    data_seed: int
    values: dict[str, Any]
    seed: int
    epochs: int
    learning_rate: float
    schedule: str


#: Trains a batch of jobs; yields their accuracies in the jobs' order, each as it is known.
TrainAlone = Callable[[Sequence[AloneJob]], Iterable[float]]


@dataclass
class StandAlone:
    """The stand-alone accuracies of one architecture, one per training seed."""

    accuracies: list[float]

    @property
    def mean(self) -> float:
        return float(np.mean(self.accuracies))

    def per_seed(self) -> str:
        return " ".join(f"{accuracy:.3f}" for accuracy in self.accuracies)


def alone_jobs(
    space_name: str, task: str, seed: int, architectures: Sequence[dict], args: argparse.Namespace
) -> list[AloneJob]:
    """The `--alone-seeds` trainings of every architecture, architecture by architecture."""
    return [
        AloneJob(
            space_name,
            task,
            seed,
            values,
            SEED_STRIDE * seed + index,
            args.alone_epochs,
            args.alone_learning_rate,
            args.alone_schedule,
        )
        for values in architectures
        for index in range(args.alone_seeds)
    ]


def stand_alone(
    train_alone: TrainAlone,
    space_name: str,
    task: str,
    seed: int,
    architectures: Sequence[dict],
    args: argparse.Namespace,
) -> list[StandAlone]:
    """The stand-alone accuracies of each architecture, in the architectures' order."""
    accuracies = list(train_alone(alone_jobs(space_name, task, seed, architectures, args)))
    per_architecture = args.alone_seeds
    return [
        StandAlone(accuracies[start : start + per_architecture])
        for start in range(0, len(accuracies), per_architecture)
    ]


def train_alone_job(job: AloneJob) -> float:
    """The best validation accuracy of the job's architecture trained from scratch."""
    data, space = _task_and_space(job.space_name, job.task, job.data_seed)
    (x, y), validation = data
    keras.backend.clear_session()
    keras.utils.set_random_seed(job.seed)
    model = space.build_model(job.values)
    rate = job.learning_rate
    if job.schedule == "cosine":
        steps = job.epochs * -(-len(x) // BATCH_SIZE)
        rate = keras.optimizers.schedules.CosineDecay(job.learning_rate, steps)
    model.compile(optimizer=keras.optimizers.Adam(rate), loss=model.loss, metrics=["accuracy"])
    history = model.fit(
        x, y, validation_data=validation, epochs=job.epochs, batch_size=BATCH_SIZE, verbose=0
    )
    return float(max(history.history["val_accuracy"]))


@functools.cache
def _task_and_space(space_name: str, task: str, data_seed: int) -> tuple[Any, SearchSpace]:
    """The task's data and the space, built once per process."""
    data, num_classes = load_task(task, data_seed)
    return data, make_space(space_name, data[0][0].shape[1:], num_classes)


@contextlib.contextmanager
def stand_alone_trainer(
    jobs: int, threads_per_job: int, cache: str | None = None
) -> Iterator[TrainAlone]:
    """Trains in this process when `jobs` is 1, else in `jobs` spawned worker processes.

    With `cache`, a JSON file, the accuracy of every job is kept there and a job found there
    is not trained again: runs that change only the one-shot side reuse the ground truth.
    The file is rewritten after every job, so a run stopped halfway keeps what it trained.
    """
    if jobs == 1:
        yield _cached(lambda batch: map(train_alone_job, batch), cache)
        return
    with ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=start_worker,
        initargs=(BENCHMARKS_DIR, threads_per_job),
    ) as pool:
        yield _cached(lambda batch: pool.map(train_alone_job, batch), cache)


def _cached(train_alone: TrainAlone, cache: str | None) -> TrainAlone:
    """`train_alone`, reading and writing the accuracies of jobs in the JSON file `cache`."""
    if cache is None:
        return train_alone

    def train(batch: Sequence[AloneJob]) -> list[float]:
        known = {}
        if os.path.exists(cache):
            with open(cache) as file:
                known = json.load(file)
        keys = [json.dumps(dataclasses.asdict(job), sort_keys=True) for job in batch]
        missing = {key: job for key, job in zip(keys, batch, strict=True) if key not in known}
        for key, accuracy in zip(missing, train_alone(list(missing.values())), strict=True):
            known[key] = accuracy
            write_json_atomically(cache, known)
        return [known[key] for key in keys]

    return train


def start_worker(benchmarks_dir: str, threads: int) -> None:
    """Prepares a worker process: quiet TensorFlow, `threads` threads, `spaces` importable.

    A spawned worker starts with the parent's `sys.path`, and imports this module (so
    `benchmarks/spaces.py` too) to find this function; adding the benchmarks directory keeps
    the worker's later imports of sibling modules working even where that path lacked it.
    """
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
    if benchmarks_dir not in sys.path:
        sys.path.insert(0, benchmarks_dir)
    import tensorflow as tf

    # Must run before TensorFlow's first operation in the process.
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    for gpu in tf.config.list_physical_devices("GPU"):
        # Workers share the GPUs: none may reserve all of a GPU's memory at start.
        tf.config.experimental.set_memory_growth(gpu, True)


# -------------------------------------------------------------------------------- one-shot
def one_shot_runs(args: argparse.Namespace, part: str) -> Iterator[tuple[str, str, int]]:
    """`(task, space, seed)` of each run of a one-shot part; says which spaces are skipped."""
    for task in args.tasks:
        for space_name in args.spaces:
            data, num_classes = load_task(task, args.seeds[0])
            problem = make_space(space_name, data[0][0].shape[1:], num_classes).one_shot_problem()
            if problem is not None:
                print(f"\n## {part.capitalize()}: {task}, {space_name}: skipped: {problem}.")
                continue
            for seed in args.seeds:
                yield task, space_name, seed


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


def ranking(
    task: str, space_name: str, seed: int, args: argparse.Namespace, train_alone: TrainAlone
) -> None:
    """Rank correlations between one-shot estimates and stand-alone accuracies."""
    data, num_classes = load_task(task, seed)
    (x, y), (x_val, y_val) = data
    space = make_space(space_name, x.shape[1:], num_classes)
    supernet_seed = seed if args.supernet_seed is None else args.supernet_seed
    keras.utils.set_random_seed(supernet_seed)
    with tempfile.TemporaryDirectory() as directory:
        tuner = OneShotSearch(
            space,
            supernet_epochs=args.supernet_epochs,
            supernet_learning_rate=args.supernet_learning_rate,
            supernet_schedule=args.supernet_schedule,
            path_sampling=args.path_sampling,
            seed=supernet_seed,
            directory=directory,
        )
        start = time.monotonic()
        tuner.train_supernet(x, y, batch_size=BATCH_SIZE, verbose=0)
        supernet_seconds = time.monotonic() - start
        rng = np.random.default_rng(seed)
        calibration = [
            x[i : i + BATCH_SIZE]
            for i in range(0, args.calibration_batches * BATCH_SIZE, BATCH_SIZE)
        ]
        cells = random_cells(space, args.architectures, rng)
        estimates, losses = [], []
        for values in cells:
            model = tuner.sub_network(values, calibration)
            result = model.evaluate(x_val, y_val, verbose=0, return_dict=True)
            estimates.append(result["accuracy"])
            losses.append(result["loss"])
    alone = stand_alone(train_alone, space_name, task, seed, cells, args)
    means = [result.mean for result in alone]
    working = [index for index, mean in enumerate(means) if mean > WORKING_FACTOR / num_classes]
    print(
        f"\n## Ranking: {task}, {space_name}, seed {seed}, {len(cells)} architectures "
        f"(supernet {args.supernet_epochs} epochs, {args.supernet_schedule} learning rate, "
        f"{args.path_sampling} paths, seed "
        f"{supernet_seed}, {supernet_seconds:.0f}s; stand-alone "
        f"{args.alone_seeds} x {args.alone_epochs} epochs)\n"
        f"Kendall tau {_tau(estimates, means):.3f} (by the one-shot loss instead of accuracy "
        f"{_tau([-loss for loss in losses], means):.3f}), Spearman rho "
        f"{spearmanr(estimates, means).statistic:.3f}; over the {len(working)} working "
        f"architectures (stand-alone > {WORKING_FACTOR / num_classes:.3f}) Kendall tau "
        f"{_tau([estimates[i] for i in working], [means[i] for i in working]):.3f}; "
        f"stand-alone spread between seeds (max - min) {_mean_spread(alone):.3f} on average; "
        f"the ground truth's own repeatability, Kendall tau between its seeds' accuracies, "
        f"{_seed_agreement(alone):.3f}, between the means of its first and second half of "
        f"seeds {_split_half_agreement(alone):.3f}"
    )
    print(
        "| architecture | one-shot accuracy | one-shot loss | stand-alone mean | per seed |\n"
        "|---|---|---|---|---|"
    )
    for values, estimate, loss, result in sorted(
        zip(cells, estimates, losses, alone, strict=True), key=lambda row: -row[3].mean
    ):
        print(
            f"| {_cell(space.summarize(values))} | {estimate:.3f} | {loss:.3f} | "
            f"{result.mean:.3f} | {result.per_seed()} |",
            flush=True,
        )


def _cell(text: str) -> str:
    return text.replace("|", "\\|")  # A bare "|" would end the markdown cell.


def _tau(first: Sequence[float], second: Sequence[float]) -> float:
    """Kendall's tau, NaN for fewer than two pairs."""
    return kendalltau(first, second).statistic if len(first) > 1 else float("nan")


def _seed_agreement(results: Sequence[StandAlone]) -> float:
    """The mean Kendall tau between two seeds' stand-alone accuracies, over pairs of seeds.

    How well stand-alone training ranks the architectures against itself: a ceiling for any
    estimate's tau against one seed (the mean of several seeds is somewhat more reliable).
    """
    seeds = len(results[0].accuracies)
    pairs = [
        _tau([r.accuracies[i] for r in results], [r.accuracies[j] for r in results])
        for i in range(seeds)
        for j in range(i + 1, seeds)
    ]
    return float(np.mean(pairs)) if pairs else float("nan")


def _split_half_agreement(results: Sequence[StandAlone]) -> float:
    """Kendall tau between the mean accuracies of the first and the second half of the seeds.

    With 2 seeds this is `_seed_agreement`; with more, it shows how the ground truth's
    repeatability grows as seeds are averaged (NaN for a single seed).
    """
    half = len(results[0].accuracies) // 2
    if half == 0:
        return float("nan")
    first = [np.mean(r.accuracies[:half]) for r in results]
    second = [np.mean(r.accuracies[half : 2 * half]) for r in results]
    return _tau(first, second)


def _mean_spread(results: Sequence[StandAlone]) -> float:
    return float(np.mean([max(r.accuracies) - min(r.accuracies) for r in results]))


def cost(
    task: str, space_name: str, seed: int, args: argparse.Namespace, train_alone: TrainAlone
) -> None:
    """One-shot search + retraining the top 3 against a from-scratch evolutionary search."""
    data, num_classes = load_task(task, seed)
    space = make_space(space_name, data[0][0].shape[1:], num_classes)
    evolution = run_evolution(
        space,
        data,
        weight_sharing=False,
        trials=args.cost_trials,
        epochs=args.cost_epochs,
        seed=seed,
    )
    one_shot = run_one_shot(space, data, args, seed, reference=evolution.best_values)
    chosen = {"evolution": evolution.best_values, "one-shot": one_shot.chosen_values}
    results = stand_alone(train_alone, space_name, task, seed, list(chosen.values()), args)
    evaluated = dict(zip(chosen, results, strict=True))
    difference = evaluated["one-shot"].mean - evaluated["evolution"].mean
    print(
        f"\n## Cost: {task}, {space_name}, seed {seed}, {args.cost_trials} trials\n"
        f"evolution from scratch ({args.cost_epochs} epochs a trial): {evolution.seconds:.0f}s; "
        f"best search score {max(evolution.scores):.4f} (reference only: the best of "
        f"{len(evolution.scores)} single trainings)\n"
        f"one-shot ({args.supernet_epochs} supernet epochs, then retrain top {RETRAIN_TOP_K} "
        f"for {args.cost_epochs} epochs): {one_shot.seconds:.0f}s (supernet "
        f"{one_shot.supernet_seconds:.0f}s, then {args.cost_trials} trials "
        f"{one_shot.search_seconds - one_shot.supernet_seconds:.1f}s)\n"
        f"chosen architectures, stand-alone accuracy ({args.alone_seeds} x "
        f"{args.alone_epochs} epochs, mean of the best validation accuracy):"
    )
    for method, values in chosen.items():
        result = evaluated[method]
        print(
            f"  {method:9s} {result.mean:.4f} (per seed {result.per_seed()})  "
            f"{space.summarize(values)}"
        )
    print(
        f"accuracy difference (one-shot - evolution) {100 * difference:+.2f} points, time ratio "
        f"(one-shot / evolution) {one_shot.seconds / evolution.seconds:.3f}\n"
        f"the supernet's score of evolution's choice {one_shot.reference_one_shot:.4f}, of its "
        f"own best trial {one_shot.best_one_shot:.4f}\n"
        f"one-shot's retrained top {RETRAIN_TOP_K}:",
        flush=True,
    )
    for result in one_shot.retrained:
        print(
            f"  trial {result['trial_id']}: one-shot {result['one_shot']:.4f}, stand-alone "
            f"{result['stand_alone']:.4f}  {result['architecture']}"
        )


@dataclass
class OneShotRun:
    """One timed `OneShotSearch` with `retrain`, and the architecture it chose."""

    chosen_values: dict[str, Any]
    retrained: list[dict[str, Any]]
    supernet_seconds: float
    search_seconds: float  # The supernet and the trials.
    seconds: float
    best_one_shot: float
    reference_one_shot: float | None


def run_one_shot(
    space: SearchSpace,
    data,
    args: argparse.Namespace,
    seed: int,
    reference: dict[str, Any] | None = None,
) -> OneShotRun:
    """Supernet, `--cost-trials` trials and retraining of the top 3, all timed.

    The chosen architecture is the retrained one with the best stand-alone score. After the
    clock stops, the supernet also scores `reference` (evolution's choice), to tell a search
    that never met the better architecture from a supernet that rates it lower.
    """
    (x, y), validation = data
    keras.utils.set_random_seed(seed)
    with tempfile.TemporaryDirectory() as directory:
        tuner = OneShotSearch(
            space,
            max_trials=args.cost_trials,
            supernet_epochs=args.supernet_epochs,
            supernet_learning_rate=args.supernet_learning_rate,
            supernet_schedule=args.supernet_schedule,
            path_sampling=args.path_sampling,
            calibration_batches=args.calibration_batches,
            seed=seed + 1,
            directory=directory,
        )
        start = time.monotonic()
        tuner.train_supernet(x, y, batch_size=BATCH_SIZE, verbose=0)
        supernet_seconds = time.monotonic() - start
        tuner.search(x, y, validation_data=validation, batch_size=BATCH_SIZE, verbose=0)
        search_seconds = time.monotonic() - start
        retrained = tuner.retrain(top_k=RETRAIN_TOP_K, epochs=args.cost_epochs, verbose=0)
        seconds = time.monotonic() - start
        best = max(retrained, key=lambda result: result["stand_alone"])
        values = tuner.oracle.trials[best["trial_id"]].hyperparameters.values
        reference_score = None
        if reference is not None:
            model = tuner.sub_network(reference)
            reference_score = model.evaluate(*validation, verbose=0, return_dict=True)["accuracy"]
    return OneShotRun(
        space.complete_values(values),
        retrained,
        supernet_seconds,
        search_seconds,
        seconds,
        best_one_shot=retrained[0]["one_shot"],
        reference_one_shot=reference_score,
    )


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, received {text}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.splitlines()[1:]),
    )
    parser.add_argument(
        "--parts",
        nargs="+",
        choices=["inheritance", "ranking", "cost"],
        default=["inheritance", "ranking", "cost"],
        help="parts to run (all three)",
    )
    parser.add_argument(
        "--architectures", type=_positive_int, default=30, help="random architectures ranked (30)"
    )
    parser.add_argument(
        "--supernet-epochs", type=_positive_int, default=30, help="supernet training epochs (30)"
    )
    parser.add_argument(
        "--supernet-learning-rate",
        type=float,
        default=3e-3,
        help="Adam learning rate of the supernet (0.003)",
    )
    parser.add_argument(
        "--supernet-schedule",
        choices=SCHEDULES,
        default="constant",
        help="learning rate schedule of the supernet (constant; cosine decays it to 0)",
    )
    parser.add_argument(
        "--path-sampling",
        choices=RULES,
        default="uniform",
        help="how the supernet's training steps pick their architecture (uniform)",
    )
    parser.add_argument(
        "--supernet-seed",
        type=int,
        default=None,
        help="seed of the supernet's weights and paths in ranking (the run's seed)",
    )
    parser.add_argument(
        "--calibration-batches",
        type=_positive_int,
        default=10,
        help="training batches that re-estimate a sub-network's BatchNorm statistics (10)",
    )
    parser.add_argument(
        "--cost-trials", type=_positive_int, default=30, help="trials of each search in cost (30)"
    )
    parser.add_argument(
        "--cost-epochs",
        type=_positive_int,
        default=5,
        help="epochs of each evolution trial and of one-shot's retraining in cost (5)",
    )
    parser.add_argument(
        "--alone-epochs",
        type=_positive_int,
        default=15,
        help="epochs of each stand-alone training, the ground truth of ranking and cost (15)",
    )
    parser.add_argument(
        "--alone-learning-rate",
        type=float,
        default=3e-3,
        help="Adam learning rate of each stand-alone training, its peak under cosine (0.003)",
    )
    parser.add_argument(
        "--alone-schedule",
        choices=["cosine", "constant"],
        default="cosine",
        help="learning rate schedule of the stand-alone trainings (cosine decay to 0)",
    )
    parser.add_argument(
        "--alone-seeds",
        type=_positive_int,
        default=2,
        help="stand-alone trainings per architecture, each with its own seed (2)",
    )
    parser.add_argument(
        "--jobs",
        type=_positive_int,
        default=1,
        help="worker processes for the stand-alone trainings; 1 trains in this process (1)",
    )
    parser.add_argument(
        "--alone-cache",
        default=None,
        help="a JSON file that keeps the stand-alone accuracies between runs (none)",
    )
    parser.add_argument(
        "--threads-per-job",
        type=_positive_int,
        default=1,
        help="TensorFlow intra- and inter-op threads of each worker when --jobs > 1 (1)",
    )
    parser.add_argument(
        "--trials", type=_positive_int, default=15, help="trials per search in inheritance (15)"
    )
    parser.add_argument(
        "--epochs", type=_positive_int, default=1, help="epochs per trial in inheritance (1)"
    )
    parser.add_argument(
        "--seeds", type=int, nargs="+", default=[0, 1], help="data and search seeds (0 1)"
    )
    parser.add_argument(
        "--tasks",
        nargs="+",
        choices=["digits", "image"],
        default=["digits", "image"],
        help="tasks (both)",
    )
    parser.add_argument(
        "--spaces",
        nargs="+",
        choices=["nasbench201", "macro"],
        default=["nasbench201", "macro"],
        help="search spaces; ranking and cost skip those without a supernet (both)",
    )
    return parser


if __name__ == "__main__":
    sys.exit(main())
