"""`keras-nas demo`: a complete architecture search on scikit-learn's 8x8 digits."""

from __future__ import annotations

import os
import sys
import time
import warnings
from typing import TextIO

import keras
import keras_tuner

from keras_nas.datasets import load_digits
from keras_nas.report import format_table
from keras_nas.search_spaces import MacroSpace

OBJECTIVE = "val_accuracy"


def digits_space() -> MacroSpace:
    """The demo's search space: `MacroSpace` on 8x8 digits, sized to search in minutes on 2
    CPU cores (widths up to 64, at most two blocks per stage)."""
    return MacroSpace(
        input_shape=(8, 8, 1),
        num_classes=10,
        widths=(16, 32, 64),
        depths=(1, 2),
        kernels=(3, 5),
        expansions=(3, 6),
    )


def run_demo(
    *,
    directory: str = "keras_nas_runs",
    project_name: str = "digits",
    max_trials: int = 8,
    epochs: int = 6,
    seed: int = 0,
    overwrite: bool = True,
    out: TextIO | None = None,
) -> keras_tuner.Tuner:
    """Searches `digits_space()` on the digits and prints progress and the best trials.

    Example:
    >>> import io, tempfile
    >>> tuner = run_demo(directory=tempfile.mkdtemp(), max_trials=1, epochs=1, out=io.StringIO())
    >>> len(tuner.oracle.trials)
    1

    Args:
        directory: Folder of the run; the project folder, TensorBoard logs and the best model
            are written under `directory/project_name`.
        project_name: Name of the run's folder.
        max_trials: Number of architectures to try.
        epochs: Maximum training epochs of each architecture (training stops early when the
            validation accuracy has not improved for 3 epochs).
        seed: Seed of the search and of weight initialisation.
        overwrite: Start afresh; with `False`, a finished or interrupted run is resumed.
        out: Where progress and results are printed; standard output by default.

    Returns:
        The tuner, for `get_best_models`, `get_best_hyperparameters` and `oracle.trials`.
    """
    out = out or sys.stdout
    keras.utils.set_random_seed(seed)
    (x_train, y_train), (x_val, y_val) = load_digits(seed=seed)
    space = digits_space()
    project_dir = os.path.join(directory, project_name)
    log_dir = os.path.join(project_dir, "tensorboard")
    print(
        f"keras-nas demo: searching {max_trials} architectures of MacroSpace on the 8x8 digits "
        f"({len(x_train)} training, {len(x_val)} validation images), up to {epochs} epochs each.",
        file=out,
    )
    tuner = _ProgressRandomSearch(
        hypermodel=space,
        objective=OBJECTIVE,
        max_trials=max_trials,
        seed=seed,
        directory=directory,
        project_name=project_name,
        overwrite=overwrite,
        out=out,
    )
    tuner.search(
        x_train,
        y_train,
        validation_data=(x_val, y_val),
        epochs=epochs,
        batch_size=32,
        callbacks=[
            keras.callbacks.TensorBoard(log_dir),
            keras.callbacks.EarlyStopping(monitor=OBJECTIVE, patience=3),
        ],
        verbose=0,
    )
    print("\nBest architectures:", file=out)
    print(best_trials_table(tuner, space, num_trials=5), file=out)
    best_path = os.path.join(project_dir, "best_model.keras")
    export_best_model(tuner, best_path)
    print(f"\nBest model saved to {best_path}", file=out)
    print(f"TensorBoard logs: {log_dir}  (view with: tensorboard --logdir {log_dir})", file=out)
    return tuner


def export_best_model(tuner: keras_tuner.Tuner, path: str) -> None:
    """Saves the best trial's trained model as a plain `.keras` file."""
    with warnings.catch_warnings():
        # The checkpoint holds the trained optimizer's variables; the reloaded model has not
        # built its optimizer yet. Only the weights matter for the exported model.
        warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
        model = tuner.get_best_models(1)[0]
    # Saved with a built optimizer, the file loads without a variable-count warning.
    model.optimizer.build(model.trainable_variables)
    model.save(path)


def best_trials_table(tuner: keras_tuner.Tuner, space: MacroSpace, num_trials: int = 5) -> str:
    """A table of the best completed trials: rank, id, score, parameters and architecture."""
    rows = []
    for rank, trial in enumerate(tuner.oracle.get_best_trials(num_trials), start=1):
        values = trial.hyperparameters.values
        rows.append(
            {
                "rank": rank,
                "trial": trial.trial_id,
                OBJECTIVE: trial.score,
                "params": space.build_model(values).count_params(),
                "architecture": space.describe(values)["summary"],
            }
        )
    return format_table(rows, ["rank", "trial", OBJECTIVE, "params", "architecture"])


class _ProgressRandomSearch(keras_tuner.RandomSearch):
    """KerasTuner's random search, printing one line per trial: k of N, score, best so far,
    elapsed time and an estimate of the time left."""

    def __init__(self, *args, out: TextIO, **kwargs):
        super().__init__(*args, **kwargs)
        self._out = out
        self._search_start = time.monotonic()
        self._trial_start = self._search_start

    def on_search_begin(self):
        super().on_search_begin()
        self._search_start = time.monotonic()

    def on_trial_begin(self, trial):
        super().on_trial_begin(trial)
        self._trial_start = time.monotonic()

    def on_trial_end(self, trial):
        super().on_trial_end(trial)
        done = len(self.oracle.trials)
        total = self.oracle.max_trials
        now = time.monotonic()
        elapsed = now - self._search_start
        best = self.oracle.get_best_trials(1)
        best_score = f"{best[0].score:.4f}" if best else "-"
        score = f"{trial.score:.4f}" if trial.score is not None else trial.status.lower()
        left = elapsed / max(1, done) * max(0, total - done)
        print(
            f"[{done:>2}/{total}] trial {trial.trial_id}  {OBJECTIVE} {score}  best {best_score}  "
            f"{now - self._trial_start:5.1f}s  elapsed {_clock(elapsed)}  left ~{_clock(left)}  "
            f"{self.hypermodel.describe(trial.hyperparameters.values)['summary']}",
            file=self._out,
            flush=True,
        )


def _clock(seconds: float) -> str:
    minutes, seconds = divmod(int(round(seconds)), 60)
    return f"{minutes}:{seconds:02d}"
