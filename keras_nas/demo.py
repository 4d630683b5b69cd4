"""`keras-nas demo`: a complete architecture search on scikit-learn's 8x8 digits."""

from __future__ import annotations

import os
import sys
from typing import TextIO

import keras
import keras_tuner

from keras_nas.callbacks import SearchTensorBoard
from keras_nas.datasets import load_digits
from keras_nas.estimation import MedianStopping
from keras_nas.report import format_table
from keras_nas.search_spaces import MacroSpace, SearchSpace
from keras_nas.tuners import EvolutionarySearch

OBJECTIVE = "val_accuracy"
# Half of the default 8 trials sample at random, the other half evolve the best of them.
DEMO_POPULATION = 4


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
    max_time: float | None = None,
    seed: int = 0,
    overwrite: bool = True,
    out: TextIO | None = None,
) -> keras_tuner.Tuner:
    """Searches `digits_space()` on the digits by regularized evolution; prints progress and
    the best trials.

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
            validation accuracy has not improved for 3 epochs, or, from epoch 2 on, when it is
            below the median of the earlier trials at the same epoch: `MedianStopping`).
        max_time: The search's time budget in seconds (`NASTuner.search`), or `None`.
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
        f"keras-nas demo: regularized evolution over MacroSpace on the 8x8 digits "
        f"({len(x_train)} training, {len(x_val)} validation images): {max_trials} "
        f"architectures, up to {epochs} epochs each"
        + (f", within {max_time:g} s." if max_time else "."),
        file=out,
    )
    tuner = EvolutionarySearch(
        space,
        objective=OBJECTIVE,
        max_trials=max_trials,
        population_size=DEMO_POPULATION,
        sample_size=2,
        seed=seed,
        directory=directory,
        project_name=project_name,
        overwrite=overwrite,
        pruning=MedianStopping(min_epochs=2, min_trials=3),
        progress_out=out,
    )
    tuner.search(
        x_train,
        y_train,
        validation_data=(x_val, y_val),
        epochs=epochs,
        batch_size=32,
        callbacks=[
            keras.callbacks.TensorBoard(log_dir),
            SearchTensorBoard(log_dir),
            keras.callbacks.EarlyStopping(monitor=OBJECTIVE, patience=3),
        ],
        verbose=1,
        max_time=max_time,
    )
    print("\nBest architectures:", file=out)
    print(best_trials_table(tuner, space, num_trials=5), file=out)
    best_path = os.path.join(project_dir, "best_model.keras")
    tuner.get_best_models(1)[0].save(best_path)  # Plain Keras; loads without warnings.
    print(f"\nBest model saved to {best_path}", file=out)
    print(f"TensorBoard logs: {log_dir}  (view with: tensorboard --logdir {log_dir})", file=out)
    print(f"Report and plots: keras-nas report {project_dir}", file=out)
    return tuner


def best_trials_table(tuner: keras_tuner.Tuner, space: SearchSpace, num_trials: int = 5) -> str:
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
