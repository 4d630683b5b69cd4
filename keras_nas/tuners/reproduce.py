"""Retraining one trial of a finished search, as the search trained it, to check its score.

`reproduce_trial` (called by `NASTuner.reproduce` and, from the files alone, by
`keras-nas reproduce`) reads the search's run manifest (`keras_nas.tuners.manifest`): it
refuses data whose fingerprint differs from the manifest's, and a trial that cannot be
retrained alone (weight sharing, several executions); it takes the `model.fit` settings the
manifest records (the keyword arguments given win) and, for a `deterministic=True` search,
seeds the build and the training as the search did (`keras_nas.tuners.determinism`), so the
same machine gives the same score, bit for bit on CPU. A trial stopped early trains for the
epochs it ran; on a proxy task the data are reduced as in the search. It returns a
`ReproducedTrial`: the recorded and the reproduced best value of the objective the manifest
names (the search's first objective that training logs).
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import sys
import warnings
from collections.abc import Callable
from typing import Any

import keras
import keras_tuner
from keras_tuner.engine.trial import Trial, TrialStatus

from keras_nas.files import MANIFEST_FILE, SEARCH_FILE, TRIAL_FILE, read_json_state
from keras_nas.tuners.checks import check_fit_arguments
from keras_nas.tuners.determinism import enable_op_determinism, seed_everything, trial_seed
from keras_nas.tuners.failures import TrialGuard
from keras_nas.tuners.manifest import DATA_ARGUMENTS, data_fingerprint, manifest_changes
from keras_nas.tuners.sessions import release_keras_state
from keras_nas.tuners.transfer import best_metric, best_of


@dataclasses.dataclass(frozen=True)
class ReproducedTrial:
    """A trial's recorded score and the score of its retraining.

    Attributes:
        trial_id: The trial.
        objective: The metric compared (the search's first objective that training logs).
        recorded: Its best value in the search.
        reproduced: Its best value in the retraining.
        epochs: The epochs the retraining ran.
        deterministic: Whether the search was `deterministic` (without, the scores differ by
            the noise of training).
    """

    trial_id: str
    objective: str
    recorded: float
    reproduced: float
    epochs: int
    deterministic: bool

    @property
    def identical(self) -> bool:
        """Whether the two scores are the same number."""
        return self.recorded == self.reproduced

    def __str__(self) -> str:
        """One line: the trial, both scores and their difference.

        Example:
        >>> print(ReproducedTrial("3", "val_accuracy", 0.95, 0.95, 2, deterministic=True))
        trial 3: val_accuracy recorded 0.950000, reproduced 0.950000 (identical), 2 epochs
        """
        outcome = "identical" if self.identical else f"{self.reproduced - self.recorded:+.6f}"
        return (
            f"trial {self.trial_id}: {self.objective} recorded {self.recorded:.6f}, reproduced "
            f"{self.reproduced:.6f} ({outcome}), {self.epochs} epochs"
            + ("" if self.deterministic else "; the search was not deterministic=True")
        )


@dataclasses.dataclass(frozen=True)
class TrialModel:
    """How the search built and trained a trial's model: `build(hp)` and
    `fit(hp, model, **fit_kwargs)` (KerasTuner's `HyperModel.fit` signature)."""

    build: Callable[[keras_tuner.HyperParameters], keras.Model]
    fit: Callable[..., Any]

    @classmethod
    def of(cls, hypermodel: Any) -> TrialModel:
        """A `keras_tuner.HyperModel`'s `build` and `fit`, or a `build(hp)` function's, with
        `model.fit`."""
        if isinstance(hypermodel, keras_tuner.HyperModel):
            return cls(hypermodel.build, hypermodel.fit)
        return cls(hypermodel, lambda hp, model, **kwargs: model.fit(**kwargs))


def reproduce_trial(
    project_dir: str,
    trial_id: str,
    trial_model: TrialModel,
    fit_args: dict[str, Any],
    *,
    estimation: Any = None,
    verbose: int = 0,
) -> ReproducedTrial:
    """Retrains trial `trial_id` of the search in `project_dir` as the search trained it.

    Args:
        project_dir: The search's project folder.
        trial_id: The trial.
        trial_model: How the search built and trained its models (on a proxy task, the
            reduced space's).
        fit_args: `model.fit`'s arguments by name, the data (`x`, `y`, `validation_data`)
            as given to `search`; the manifest's settings fill in the others.
        estimation: The search's `ProxyTask`, if any: the data are reduced as in the search.
        verbose: 2 shows Keras's epoch lines.

    Raises:
        ValueError: Before any training, if the trial is not a completed one with a score,
            the search shared weights or ran several executions per trial, it has no
            manifest, or the data differ from the manifest's.
    """
    verbose = check_fit_arguments(fit_args, verbose)
    trial = _completed_trial(project_dir, str(trial_id))
    manifest = _manifest(project_dir)
    _check_retrainable(manifest, trial.trial_id)
    objective = keras_tuner.Objective(**manifest["objective"])
    recorded = best_metric(trial, objective)
    if recorded is None:
        raise ValueError(
            f"Trial {trial.trial_id} recorded no finite {objective.name}: there is no score "
            "to compare a retraining with."
        )
    fit = _fit_arguments(manifest, fit_args, trial, objective, estimation)
    seed = int(manifest["seed"]) if manifest.get("deterministic") else None
    history = _retrain(trial_model, trial, fit, seed, verbose)
    return ReproducedTrial(
        trial_id=trial.trial_id,
        objective=objective.name,
        recorded=recorded,
        reproduced=best_of(history.history, objective),
        epochs=len(history.epoch),
        deterministic=seed is not None,
    )


def _check_retrainable(manifest: dict[str, Any], trial_id: str) -> None:
    if manifest.get("weight_sharing"):
        raise ValueError(
            f"Trial {trial_id} started from weights that earlier trials trained (weight "
            "sharing), so it cannot be retrained on its own. Reproduce trials of a search "
            "without `weight_sharing`."
        )
    if manifest.get("executions_per_trial", 1) != 1:
        raise ValueError(
            f"The search trained each trial {manifest['executions_per_trial']} times and "
            "recorded the mean; `reproduce` retrains one execution. Reproduce trials of a "
            "search with executions_per_trial=1."
        )
    if not manifest.get("objective"):
        raise ValueError(
            "Every objective of the search is a cost of the model (none is logged by "
            "training), so a retraining has no score to compare."
        )


def _fit_arguments(
    manifest: dict[str, Any],
    fit_args: dict[str, Any],
    trial: Trial,
    objective: Any,
    estimation: Any,
) -> dict[str, Any]:
    """The retraining's `model.fit` arguments: the manifest's settings, those given, the data
    checked against the manifest (and reduced on a proxy task), the trial's epochs."""
    recorded = {k: v for k, v in manifest.get("fit", {}).items() if k != "callbacks"}
    if "class_weight" in recorded:  # JSON keys are strings; Keras looks classes up by int.
        recorded["class_weight"] = {int(k): v for k, v in recorded["class_weight"].items()}
    fit = {**recorded, **fit_args}
    _check_same_data(manifest, fit)
    used = manifest.get("fit", {}).get("callbacks") or []
    if used and not fit.get("callbacks"):
        warnings.warn(
            f"The search trained with the callbacks {used}; this retraining has none. Pass "
            "those that change training (a learning-rate schedule, ReduceLROnPlateau) as "
            "`callbacks=[...]`, or the scores may differ.",
            stacklevel=4,
        )
    if estimation is not None:
        x, y = fit.pop("x", None), fit.pop("y", None)
        (x, y), fit = estimation.reduce_data(x, y, fit)
        fit.update(x=x, y=y)
    history = trial.metrics.get_history(objective.name)
    last_epoch = history[-1].step + 1 if history else None
    if last_epoch is not None and last_epoch < int(fit.get("epochs", 1)):
        fit["epochs"] = last_epoch  # Stopped early: the epochs it ran.
    return fit


def _retrain(
    trial_model: TrialModel, trial: Trial, fit: dict[str, Any], seed: int | None, verbose: int
) -> Any:
    """Builds and trains the trial's model as `NASTuner.run_trial` does; its `History`."""
    if seed is not None:
        enable_op_determinism()
        seed_everything(trial_seed(seed, trial.trial_id, 0, "build"))
    release_keras_state()  # As `NASTuner` does before each build.
    model = trial_model.build(trial.hyperparameters)
    if seed is not None:
        seed_everything(trial_seed(seed, trial.trial_id, 0, "fit"))
    fit["callbacks"] = [*(fit.get("callbacks") or []), TrialGuard()]
    fit["verbose"] = 0 if verbose < 2 else 2
    return trial_model.fit(trial.hyperparameters, model, **fit)


def reproduce_from_files(
    project_dir: str, trial_id: str, *, data: str, build: str | None = None, verbose: bool = False
) -> ReproducedTrial:
    """`reproduce_trial` from the search's files alone, as `keras-nas reproduce` runs it.

    Args:
        project_dir: The search's project folder.
        trial_id: The trial.
        data: `"module:function"`: a function that returns `((x, y), (x_val, y_val))` (or
            `((x, y), None)` for a search with `validation_split`), the data of `search`.
            The current directory is searched first for the module, as `python -m` does.
        build: `"module:function"`: the search's `build(hp)`; `None` rebuilds the keras-nas
            space that `search.json` records.
        verbose: Whether to show Keras's line per epoch.

    Raises:
        ValueError: If a file or a function is missing, or `reproduce_trial` refuses.
    """
    from keras_nas.estimation.proxy_task import ProxyTask
    from keras_nas.search_spaces.from_record import space_from_record

    record = read_json_state(_existing(project_dir, SEARCH_FILE), "search record")
    if build is not None:
        hypermodel = _function(build, "--build")
    elif record.get("space_class") and record.get("space_config") is not None:
        hint = "pass the search's build function with --build MODULE:FUNCTION"
        hypermodel = space_from_record(record["space_class"], record["space_config"], hint=hint)
    else:
        raise ValueError(
            f"The search did not use a keras-nas space ({record.get('space')}): pass its "
            "build function with --build MODULE:FUNCTION."
        )
    estimation = record.get("estimation")
    return reproduce_trial(
        project_dir,
        trial_id,
        TrialModel.of(hypermodel),
        _loaded_data(data),
        estimation=ProxyTask.from_config(estimation["ProxyTask"]) if estimation else None,
        verbose=2 if verbose else 0,
    )


def _loaded_data(data: str) -> dict[str, Any]:
    loaded = _function(data, "--data")()
    try:
        (x, y), validation = loaded
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"--data {data} must return ((x, y), (x_val, y_val)), or ((x, y), None) for a "
            f"search with validation_split, as keras.datasets' load_data does; it returned a "
            f"{type(loaded).__name__}."
        ) from error
    fit_args = {"x": x, "y": y}
    if validation is not None:
        fit_args["validation_data"] = tuple(validation)
    return fit_args


def _existing(project_dir: str, name: str) -> str:
    path = os.path.join(project_dir, name)
    if not os.path.exists(path):
        raise ValueError(
            f"{path} does not exist: {project_dir} is not the project folder of a search "
            "run by a keras-nas tuner (directory/project_name)."
        )
    return path


def _function(reference: str, option: str) -> Callable[..., Any]:
    module_name, _, name = reference.partition(":")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # As `python -m` finds modules beside the user.
    try:
        function = getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError, ValueError) as error:
        raise ValueError(
            f"{option} {reference}: cannot import it ({type(error).__name__}: {error}); give "
            "MODULE:FUNCTION, e.g. keras_nas.datasets:load_digits, with MODULE importable "
            "from the current directory."
        ) from error
    if not callable(function):
        raise ValueError(f"{option} {reference} is not a function.")
    return function


def _completed_trial(project_dir: str, trial_id: str) -> Trial:
    path = os.path.join(project_dir, f"trial_{trial_id}", TRIAL_FILE)
    if not os.path.exists(path):
        found = sorted(
            name[len("trial_") :] for name in os.listdir(project_dir) if name.startswith("trial_")
        )
        raise ValueError(
            f"The search in {project_dir} has no trial {trial_id!r}; its trials are {found}. "
            "`keras-nas report DIR` lists them."
        )
    trial = Trial.from_state(read_json_state(path, "trial"))
    if trial.status != TrialStatus.COMPLETED:
        raise ValueError(
            f"Trial {trial_id} is {trial.status}: only a completed trial has a score to reproduce."
        )
    return trial


def _manifest(project_dir: str) -> dict[str, Any]:
    path = os.path.join(project_dir, MANIFEST_FILE)
    if not os.path.exists(path):
        raise ValueError(
            f"{path} does not exist: the search was run by a keras-nas without run "
            "manifests, so what it trained with is not known. Run the search again to "
            "reproduce its trials."
        )
    return read_json_state(path, "run manifest")


def _check_same_data(manifest: dict[str, Any], fit: dict[str, Any]) -> None:
    given = {name: data_fingerprint(fit.get(name)) for name in DATA_ARGUMENTS}
    changes = manifest_changes({"data": manifest.get("data", {})}, {"data": given})
    if changes:
        raise ValueError(
            "The data differ from those the search trained on (its manifest's fingerprint): "
            f"{'; '.join(changes)}. Pass the data given to `search` (with `keras-nas "
            "reproduce`, --data must return them: ((x, y), None) for a search with "
            "validation_split)."
        )
