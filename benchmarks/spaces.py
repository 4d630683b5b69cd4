"""Measures search spaces by what a random search finds on tasks where architecture matters.

    TF_CPP_MIN_LOG_LEVEL=2 python benchmarks/spaces.py [--trials 20] [--epochs 8] [--seed 0]
        [--tasks sequence image] [--spaces macro mlp]

Two synthetic 4-class tasks, generated with numpy from `--seed` (no downloads), on which a
convolutional network should clearly beat a dense one:

- `sequence`: 64 steps x 2 channels of Gaussian noise; the class is which of 4 motifs (7 steps
  long) is embedded at a random position; a decoy motif, of no class, is embedded elsewhere.
- `image`: 16x16x1 images of Gaussian noise with one of 4 small shapes (cross, square,
  diagonal, L) at a random position.

On each task, `keras_tuner.RandomSearch` searches `MacroSpace` on the raw inputs and
`MLPSpace` on the flattened inputs for `--trials` trials of up to `--epochs` epochs (stopped
early when the validation accuracy has not improved for 3 epochs); the default architecture
of each space is trained alone, in the same way, as the baseline a search must beat. The
script prints the command, the machine and a markdown table, one row per search as it
finishes (best validation accuracy of the search, of the default architecture, the search's
wall seconds, failed trials and the best architecture); each trial is logged to stderr.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import keras_tuner  # noqa: E402

from keras_nas.search_spaces import MacroSpace, MLPSpace, SearchSpace  # noqa: E402

NUM_CLASSES = 4
OBJECTIVE = "val_accuracy"
BATCH_SIZE = 32
PATIENCE = 3

SEQUENCE_STEPS = 64
SEQUENCE_CHANNELS = 2
MOTIF_STEPS = 7
SEQUENCE_AMPLITUDE = 1.2  # Motif values are +-1 times this, on noise of standard deviation 1.

IMAGE_SIZE = 16
IMAGE_AMPLITUDE = 2.0  # Shape pixels are this bright, on noise of standard deviation 1.
SHAPES = {
    "cross": ["..#..", "..#..", "#####", "..#..", "..#.."],
    "square": ["#####", "#...#", "#...#", "#...#", "#####"],
    "diagonal": ["#....", ".#...", "..#..", "...#.", "....#"],
    "L": ["#....", "#....", "#....", "#....", "#####"],
}

Data = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


# ---------------------------------------------------------------------------------- tasks
def make_sequence_task(seed: int, num_train: int = 2000, num_val: int = 500) -> Data:
    """Returns `((x_train, y_train), (x_val, y_val))` of the motif-in-noise sequence task.

    `x` has shape `(n, 64, 2)`. Each example holds one of 4 class motifs (random +-1 patterns
    of 7 steps, the same for every example) at a random position and, at a position that does
    not overlap it, a decoy motif that belongs to no class.
    """
    rng = np.random.default_rng(seed)
    motifs = rng.choice([-1.0, 1.0], size=(NUM_CLASSES + 1, MOTIF_STEPS, SEQUENCE_CHANNELS))
    n = num_train + num_val
    x = rng.normal(size=(n, SEQUENCE_STEPS, SEQUENCE_CHANNELS))
    y = rng.integers(NUM_CLASSES, size=n)
    for i in range(n):
        start, decoy = _two_disjoint_starts(rng, SEQUENCE_STEPS, MOTIF_STEPS)
        x[i, start : start + MOTIF_STEPS] += SEQUENCE_AMPLITUDE * motifs[y[i]]
        x[i, decoy : decoy + MOTIF_STEPS] += SEQUENCE_AMPLITUDE * motifs[NUM_CLASSES]
    return _split(x.astype("float32"), y, num_train)


def make_image_task(seed: int, num_train: int = 2000, num_val: int = 500) -> Data:
    """Returns `((x_train, y_train), (x_val, y_val))` of the shape-in-noise image task.

    `x` has shape `(n, 16, 16, 1)`; each image holds one of the 5x5 `SHAPES` at a random
    position on Gaussian noise.
    """
    rng = np.random.default_rng(seed)
    shapes = np.array([[[c == "#" for c in row] for row in s] for s in SHAPES.values()], "float32")
    size = shapes.shape[1]
    n = num_train + num_val
    x = rng.normal(size=(n, IMAGE_SIZE, IMAGE_SIZE, 1))
    y = rng.integers(NUM_CLASSES, size=n)
    rows, cols = rng.integers(IMAGE_SIZE - size + 1, size=(2, n))
    for i in range(n):
        x[i, rows[i] : rows[i] + size, cols[i] : cols[i] + size, 0] += (
            IMAGE_AMPLITUDE * shapes[y[i]]
        )
    return _split(x.astype("float32"), y, num_train)


TASKS: dict[str, Callable[[int], Data]] = {
    "sequence": make_sequence_task,
    "image": make_image_task,
}


def _two_disjoint_starts(rng: np.random.Generator, length: int, width: int) -> tuple[int, int]:
    while True:
        first, second = rng.integers(length - width + 1, size=2)
        if abs(first - second) >= width:
            return int(first), int(second)


def _split(x: np.ndarray, y: np.ndarray, num_train: int) -> Data:
    return (x[:num_train], y[:num_train]), (x[num_train:], y[num_train:])


def flatten(data: Data) -> Data:
    """Returns the task with every example flattened to a vector, for `MLPSpace`."""
    (x, y), (x_val, y_val) = data
    return (x.reshape(len(x), -1), y), (x_val.reshape(len(x_val), -1), y_val)


# --------------------------------------------------------------------------------- search
@dataclass
class Result:
    """What one space achieved on one task."""

    task: str
    space: str
    search_accuracy: float
    default_accuracy: float
    search_seconds: float
    failed_trials: int
    best_summary: str


def macro_space(data: Data) -> tuple[SearchSpace, Data]:
    """`MacroSpace` on the task's raw inputs."""
    space = MacroSpace(input_shape=data[0][0].shape[1:], num_classes=NUM_CLASSES)
    return space, data


def mlp_space(data: Data) -> tuple[SearchSpace, Data]:
    """`MLPSpace` on the task's flattened inputs."""
    flat = flatten(data)
    return MLPSpace(input_shape=flat[0][0].shape[1:], num_classes=NUM_CLASSES), flat


SPACES: dict[str, Callable[[Data], tuple[SearchSpace, Data]]] = {
    "macro": macro_space,
    "mlp": mlp_space,
}


def fit_kwargs(data: Data, epochs: int) -> dict[str, Any]:
    """The training arguments shared by the search and the default architecture."""
    (x, y), validation = data
    return {
        "x": x,
        "y": y,
        "validation_data": validation,
        "epochs": epochs,
        "batch_size": BATCH_SIZE,
        "callbacks": [keras.callbacks.EarlyStopping(monitor=OBJECTIVE, patience=PATIENCE)],
        "verbose": 0,
    }


def search(
    space: SearchSpace, data: Data, *, trials: int, epochs: int, seed: int
) -> tuple[float, dict[str, Any], float, int]:
    """Runs a seeded random search of `space` (the tuner's seed is `seed + 1`).

    Returns:
        The best validation accuracy, the best architecture's values, the wall seconds of the
        search and the number of failed trials.
    """
    keras.utils.set_random_seed(seed)
    tuner = _LoggingRandomSearch(
        hypermodel=space,
        objective=OBJECTIVE,
        max_trials=trials,
        seed=seed + 1,  # KerasTuner replaces a seed of 0 by a random one.
        directory=tempfile.mkdtemp(prefix="keras_nas_spaces_"),
        project_name=type(space).__name__,
        overwrite=True,
    )
    start = time.monotonic()
    tuner.search(**fit_kwargs(data, epochs))
    seconds = time.monotonic() - start
    best = tuner.oracle.get_best_trials(1)[0]
    failed = sum(
        trial.status == keras_tuner.engine.trial.TrialStatus.FAILED
        for trial in tuner.oracle.trials.values()
    )
    return best.score, best.hyperparameters.values, seconds, failed


def train_default(space: SearchSpace, data: Data, *, epochs: int, seed: int) -> float:
    """Trains the space's default architecture once; returns its best validation accuracy."""
    keras.utils.set_random_seed(seed)
    history = space.build_model().fit(**fit_kwargs(data, epochs))
    return max(history.history[OBJECTIVE])


def measure(
    task: str, space_name: str, task_data: Data, *, trials: int, epochs: int, seed: int
) -> Result:
    """Trains the default architecture of one space on one task, then searches the space."""
    space, data = SPACES[space_name](task_data)
    name = type(space).__name__
    _log(f"{task} / {name}: default architecture {space.describe()['summary']}")
    default = train_default(space, data, epochs=epochs, seed=seed)
    _log(f"{task} / {name}: default val_accuracy {default:.4f}; searching")
    score, values, seconds, failed = search(space, data, trials=trials, epochs=epochs, seed=seed)
    return Result(task, name, score, default, seconds, failed, space.describe(values)["summary"])


class _LoggingRandomSearch(keras_tuner.RandomSearch):
    """Random search that logs each trial's score, time and architecture to stderr."""

    def on_trial_begin(self, trial):
        super().on_trial_begin(trial)
        self._trial_start = time.monotonic()

    def on_trial_end(self, trial):
        super().on_trial_end(trial)
        score = f"{trial.score:.4f}" if trial.score is not None else trial.status.lower()
        summary = self.hypermodel.describe(trial.hyperparameters.values)["summary"]
        _log(
            f"  trial {trial.trial_id}: {OBJECTIVE} {score}  "
            f"{time.monotonic() - self._trial_start:5.1f}s  {summary}"
        )


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------- report
HEADER = (
    "task",
    "space",
    "search best val_acc",
    "default val_acc",
    "search s",
    "failed trials",
    "best architecture",
)


def table_header() -> str:
    """The header lines of the markdown table."""
    return "| " + " | ".join(HEADER) + " |\n|" + "---|" * len(HEADER)


def table_row(result: Result) -> str:
    """One result as a row of the markdown table."""
    cells = [
        result.task,
        result.space,
        f"{result.search_accuracy:.4f}",
        f"{result.default_accuracy:.4f}",
        f"{result.search_seconds:.0f}",
        str(result.failed_trials),
        result.best_summary.replace("|", "\\|"),  # A bare "|" would end the cell.
    ]
    return "| " + " | ".join(cells) + " |"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parses the command line."""
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.splitlines()[1:]),
    )
    parser.add_argument("--trials", type=int, default=20, help="trials per search (20)")
    parser.add_argument("--epochs", type=int, default=8, help="most epochs per model (8)")
    parser.add_argument("--seed", type=int, default=0, help="seed of data and search (0)")
    parser.add_argument(
        "--tasks",
        nargs="+",
        choices=sorted(TASKS),
        default=["sequence", "image"],
        help="tasks to run (both)",
    )
    parser.add_argument(
        "--spaces",
        nargs="+",
        choices=sorted(SPACES),
        default=["macro", "mlp"],
        help="spaces to measure (both)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Runs the benchmark; prints the command, the machine and a table row per search."""
    args = parse_args(argv)
    start = time.monotonic()
    command = shlex.join(["python", "benchmarks/spaces.py", *(argv or sys.argv[1:])])
    print(f"command: TF_CPP_MIN_LOG_LEVEL=2 {command}")
    print(
        f"machine: {platform.platform()}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"Keras {keras.__version__}, KerasTuner {keras_tuner.__version__}"
    )
    print()
    print(table_header(), flush=True)
    for task in args.tasks:
        data = TASKS[task](args.seed)
        for space_name in args.spaces:
            result = measure(
                task, space_name, data, trials=args.trials, epochs=args.epochs, seed=args.seed
            )
            print(table_row(result), flush=True)
    print()
    print(f"total wall time: {time.monotonic() - start:.0f} s")


if __name__ == "__main__":
    main()
