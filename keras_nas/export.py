"""`keras-nas export`: a search's best (or chosen) trial as a plain `.keras` model file.

A project folder holds what rebuilding a trial's model needs: `search.json` names the search
space's class and its `get_config()` (keras-nas tuners write them for keras-nas spaces),
each `trial_<id>/trial.json` the architecture, and `trial_<id>/best_weights.npz` the weights
of the trial's best epoch (`keras_nas.tuners.best_weights`), or, for a `OneShotSearch`,
`trial_<id>/sub_network.npz` those it was scored with. Exporting is two steps, so that
the command line can check its arguments without TensorFlow: `plan_export` reads the JSON
files and checks everything it can (no TensorFlow), `write_export` rebuilds the model and
saves it. `export_best_model` does both.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from keras_nas import report
from keras_nas.files import BUILD_CONFIG_FILE, ORACLE_FILE, TRIAL_WEIGHTS_FILES

_RESAVE_HINT = (
    "from the script that ran the search, save the model with "
    "`tuner.get_best_models(1)[0].save(path)`"
)


@dataclasses.dataclass(frozen=True)
class ExportPlan:
    """What `plan_export` found: the trial to export and how to rebuild its model.

    Attributes:
        path: The `.keras` file to write.
        trial: The trial (a row of `keras_nas.project.load_report`).
        trial_dir: The trial's folder.
        weights: The file that holds the trial's weights (`keras_nas.files`).
        space_class: The import path of the search space's class, e.g.
            `"keras_nas.search_spaces.mlp.MLPSpace"`.
        space_config: The space's `get_config()`.
        objective: The name of the trial's score (`keras_nas.project.SearchReport.score_name`).
    """

    path: str
    trial: report.TrialRow
    trial_dir: str
    weights: str
    space_class: str
    space_config: dict[str, Any]
    objective: str


def export_best_model(project_dir: str, path: str, trial_id: str | None = None) -> ExportPlan:
    """Saves the best completed trial of a search (or the trial `trial_id`) as a `.keras` file.

    The model is rebuilt from the project folder alone, with the weights of the trial's best
    epoch (of a one-shot trial: those it was scored with) and a built optimizer, so
    `keras.saving.load_model(path)` gives the trained model, without warnings, in a process
    that imports only keras.

    Example:
    >>> import keras_tuner, os, tempfile
    >>> from keras_nas import EvolutionarySearch
    >>> from keras_nas.datasets import load_digits
    >>> from keras_nas.search_spaces import MLPSpace
    >>> (x, y), (x_val, y_val) = load_digits()
    >>> x, x_val = x.reshape(-1, 64), x_val.reshape(-1, 64)
    >>> tuner = EvolutionarySearch(MLPSpace(input_shape=(64,), num_classes=10),
    ...     objective="val_accuracy", max_trials=1, directory=tempfile.mkdtemp())
    >>> tuner.search(x, y, validation_data=(x_val, y_val), epochs=1, verbose=0)
    >>> path = os.path.join(tuner.project_dir, "best.keras")
    >>> export_best_model(tuner.project_dir, path).trial.trial_id
    '0'

    Args:
        project_dir: The search's project folder, the tuner's `directory/project_name`.
        path: The file to write; it must end in `.keras`, and its folder must exist.
        trial_id: The trial to export (KerasTuner's id, e.g. `"07"`); the completed trial
            with the best score by default.

    Returns:
        The `ExportPlan`: the trial exported, its score, the space.

    Raises:
        ValueError: if an argument is wrong (see `plan_export`), or the model cannot be
            rebuilt from the folder (see `write_export`).
    """
    plan = plan_export(project_dir, path, trial_id)
    write_export(plan)
    return plan


def plan_export(project_dir: str, path: str, trial_id: str | None = None) -> ExportPlan:
    """Checks an export without building anything: reads only JSON files, imports no
    TensorFlow.

    Args:
        project_dir: The search's project folder.
        path: The `.keras` file to write.
        trial_id: The trial to export, or `None` for the best completed one.

    Returns:
        The `ExportPlan` that `write_export` carries out.

    Raises:
        ValueError: if `path` does not end in `.keras`, its folder does not exist or cannot
            be written, `project_dir` is not a project folder, the trial does not exist, has
            not completed or kept no weights, or the search was not of a keras-nas search
            space (`search.json` names no space class).
    """
    _check_out_path(path)
    if not os.path.isfile(os.path.join(project_dir, ORACLE_FILE)):
        raise ValueError(
            f"{project_dir!r} is not a project folder: give the tuner's "
            "directory/project_name, which holds oracle.json and trial_<id>/trial.json"
        )
    search = report.load_report(project_dir)
    trial = _trial_to_export(search, trial_id)
    trial_dir = os.path.join(project_dir, f"trial_{trial.trial_id}")
    weights = _weights_file(trial_dir)
    if weights is None:
        raise ValueError(
            f"trial {trial.trial_id} kept no weights: {trial_dir} has none of "
            f"{', '.join(TRIAL_WEIGHTS_FILES)} (keras-nas tuners write one when a trial ends); "
            f"{_RESAVE_HINT}."
        )
    record = search.search or {}
    space_class, space_config = record.get("space_class"), record.get("space_config")
    if not isinstance(space_class, str) or not isinstance(space_config, dict):
        raise ValueError(
            f"{os.path.join(project_dir, 'search.json')} names no search space class: "
            "`keras-nas export` can only export searches of keras-nas search spaces "
            f"(keras_nas.search_spaces), run by a keras-nas tuner; {_RESAVE_HINT}."
        )
    return ExportPlan(
        path=path,
        trial=trial,
        trial_dir=trial_dir,
        weights=weights,
        space_class=space_class,
        space_config=space_config,
        objective=search.score_name,
    )


def write_export(plan: ExportPlan) -> None:
    """Rebuilds the trial's model with its best weights and saves it to `plan.path`.

    Raises:
        ValueError: if the space's class cannot be imported or is not a keras-nas search
            space, or the trial's architecture or weights do not fit the space.
    """
    import keras  # Only now: `plan_export` runs without TensorFlow.

    from keras_nas.files import read_json_state
    from keras_nas.search_spaces.from_record import space_from_record
    from keras_nas.tuners.best_weights import build_optimizer, read_best_weights

    space = space_from_record(plan.space_class, plan.space_config, hint=_RESAVE_HINT)
    model = space.build_model(plan.trial.values)
    if not model.built:  # As `NASTuner.load_model` builds it.
        config = read_json_state(os.path.join(plan.trial_dir, BUILD_CONFIG_FILE), "build")
        model.build_from_config(config)
    try:
        model.set_weights(read_best_weights(plan.weights))
    except ValueError as error:
        raise ValueError(
            f"the weights of trial {plan.trial.trial_id} do not fit the model that "
            f"{plan.space_class} builds for its architecture: {error}"
        ) from error
    keras.saving.save_model(build_optimizer(model), plan.path)  # Loads without warnings.


def _weights_file(trial_dir: str) -> str | None:
    """The file that holds the trial's weights, or `None`."""
    for name in TRIAL_WEIGHTS_FILES:
        if os.path.isfile(os.path.join(trial_dir, name)):
            return os.path.join(trial_dir, name)
    return None


def _check_out_path(path: str) -> None:
    if not path.endswith(".keras"):
        raise ValueError(f"--out must end in .keras (a Keras model file), got {path!r}")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ValueError(f"the folder of --out, {folder}, does not exist")
    if os.path.isdir(path):
        raise ValueError(f"--out {path} is a folder; give a file name ending in .keras")
    if not os.access(folder, os.W_OK):
        raise ValueError(f"cannot write to the folder of --out, {folder}")


def _trial_to_export(search: report.SearchReport, trial_id: str | None) -> report.TrialRow:
    if trial_id is None:
        if search.best is None:
            raise ValueError(f"{search.directory} has no completed trial with a score yet")
        return search.best
    rows = {row.trial_id: row for row in search.rows}
    if trial_id not in rows:
        known = ", ".join(rows) or "none"
        raise ValueError(f"{search.directory} has no trial {trial_id!r} (its trials: {known})")
    trial = rows[trial_id]
    if not trial.completed:
        raise ValueError(
            f"trial {trial_id} is {trial.status}; only a completed trial can be exported"
        )
    return trial
