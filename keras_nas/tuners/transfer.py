"""`transfer`: train a search's best architectures on the full setting, after a proxy task.

A search with `estimation=ProxyTask(...)` trains each candidate on a cheaper setting.
`transfer` then trains the `top_k` best architectures on the full one (the data it is given,
the space's full image size, width and depth, or a larger network: NASNet stacked more cells
for ImageNet than it searched with) and records both scores of each architecture in
`<project dir>/transfer.json`, with the rank correlation between them: how well the proxy
task ranked what the full task would. Each trained model is saved as
`<project dir>/transfer/trial_<id>.keras`.

Resume: the record is written atomically after each architecture, so a transfer killed
midway and run again with the same settings trains only the architectures not yet recorded
(an architecture recorded as failed is not tried again). A transfer with other settings
(epochs, batch size, width, depth, number of examples) does not mix with the record: it is
refused unless `overwrite=True`, which starts a new record (and overwrites the models of the
architectures it trains again).

The score is the search's first objective that training logs (`val_accuracy`, not `params`
or MnasNet's reward), and the `top_k` architectures are the completed trials best by it.
In a parallel search, call it on the chief only.
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from typing import Any

import keras
import keras_tuner
from keras_tuner.engine.trial import TrialStatus

from keras_nas import compat
from keras_nas.arguments import check_bool, check_count, check_number
from keras_nas.distribute.chief import role
from keras_nas.estimation.zero_cost_filter import rank_correlation
from keras_nas.files import TRANSFER_FILE, read_json_state, write_json_atomically
from keras_nas.messages import failure_reason
from keras_nas.search_spaces.base import SearchSpace
from keras_nas.search_spaces.scaling import scaled_space
from keras_nas.tuners.checks import check_fit_arguments
from keras_nas.tuners.costs import derived_objectives
from keras_nas.tuners.failures import TrialGuard
from keras_nas.tuners.sessions import release_keras_state

#: The folder of the transferred models, under the project directory.
TRANSFER_MODELS_DIR = "transfer"
# `model.fit` arguments recorded as the transfer's settings (with the number of examples).
_SETTINGS_FIT_ARGUMENTS = ("epochs", "batch_size", "validation_split")


@dataclasses.dataclass(frozen=True)
class TransferredArchitecture:
    """One architecture trained on the full setting.

    Attributes:
        trial_id: The search's trial of the architecture.
        summary: The space's one-line summary (the values where it has none).
        values: The architecture's hyperparameter values.
        proxy_score: The trial's best value of the objective on the proxy task.
        full_score: Its best value on the full setting over the epochs; `None` if the
            training failed (see `message`).
        seconds: The time its training took.
        message: Why the training failed (or why its model was not saved), or `None`.
    """

    trial_id: str
    summary: str
    values: dict[str, Any]
    proxy_score: float | None
    full_score: float | None
    seconds: float
    message: str | None = None


@dataclasses.dataclass(frozen=True)
class TransferResult:
    """What `NASTuner.transfer` returns: every transferred architecture, best first.

    Attributes:
        objective: The name of the score (the search's first objective).
        direction: `"max"` or `"min"`.
        architectures: Best full score first; failed trainings last.
        rank_correlation: Spearman's correlation between the proxy and full scores over the
            architectures with both (1: the proxy task ranked them exactly as the full task),
            or `None` with fewer than three.
    """

    objective: str
    direction: str
    architectures: list[TransferredArchitecture]
    rank_correlation: float | None

    @property
    def best(self) -> TransferredArchitecture | None:
        """The architecture with the best full score, or `None` if every training failed."""
        first = self.architectures[0] if self.architectures else None
        return first if first is not None and first.full_score is not None else None


def transfer(
    tuner: Any,
    x: Any,
    y: Any = None,
    *,
    top_k: int = 5,
    width_multiplier: float | None = None,
    cells_per_stage: int | None = None,
    overwrite: bool = False,
    verbose: int = 1,
    **fit_kwargs: Any,
) -> TransferResult:
    """Trains the `top_k` best architectures of `tuner`'s search on the full setting.

    See `NASTuner.transfer`, which calls it.
    """
    top_k = check_count("top_k", top_k)
    overwrite = check_bool("overwrite", overwrite)
    width_multiplier = check_number(
        "width_multiplier", width_multiplier, above=0, none_means="keep the width"
    )
    cells_per_stage = check_count("cells_per_stage", cells_per_stage, none_means="keep the depth")
    verbose = check_fit_arguments(fit_kwargs, verbose)
    for name in ("epochs", "batch_size"):  # Python numbers, for the JSON record.
        if fit_kwargs.get(name) is not None:
            fit_kwargs[name] = int(fit_kwargs[name])
    if role() == "worker":
        raise ValueError(
            "`transfer` runs in one process: call it on the chief (or in a search without "
            "workers), not on a worker, which would train the same architectures again."
        )
    objective = trained_objective(tuner)
    _check_validation(objective.name, fit_kwargs)
    space = tuner.full_hypermodel
    if width_multiplier is not None or cells_per_stage is not None:
        space = scaled_space(
            space, width_multiplier=width_multiplier, cells_per_stage=cells_per_stage
        )
    trials = _best_completed(tuner.oracle, objective, top_k)
    if not trials:
        raise ValueError(
            "`transfer` trains the best architectures of a search, and this one has no "
            "completed trial with a score yet. Run `tuner.search(...)` first."
        )
    settings = _settings(objective.name, x, width_multiplier, cells_per_stage, fit_kwargs)
    path = os.path.join(tuner.project_dir, TRANSFER_FILE)
    done = _recorded(path, settings, overwrite)
    for number, trial in enumerate(trials, start=1):
        recorded = trial.trial_id in done
        if not recorded:
            done[trial.trial_id] = _train(
                tuner, space, trial, objective, x, y, dict(fit_kwargs), verbose
            )
            _save(path, settings, done)
        if verbose:
            line = _progress_line(number, len(trials), done[trial.trial_id], objective.name)
            print(line + (" (recorded before)" if recorded else ""))
    result = _result(objective, [done[trial.trial_id] for trial in trials])
    if verbose:
        shown = "-" if result.rank_correlation is None else f"{result.rank_correlation:.2f}"
        print(
            f"Transfer: rank correlation {shown} between the proxy and full {objective.name} "
            f"over {len(result.architectures)} architectures (Spearman)."
        )
    return result


def trained_objective(tuner: Any) -> Any:
    """The first of the search's objectives that `model.fit` logs (not a cost of the model,
    nor one computed from others, such as MnasNet's reward)."""
    objectives = compat.objectives_of(tuner.oracle.objective)
    not_trained = {*tuner.costs.metric_names(), "seconds"}
    not_trained.update(one.name for one in derived_objectives(objectives))
    trained = [one for one in objectives if one.name not in not_trained]
    if not trained:
        raise ValueError(
            "`transfer` ranks architectures by a metric that training logs, and none of the "
            f"search's objectives is one: {[one.name for one in objectives]}. Search with a "
            "trained objective as well, e.g. objective=['val_accuracy', "
            "Objective('params', 'min')]."
        )
    return trained[0]


def _best_completed(oracle: Any, objective: Any, top_k: int) -> list[Any]:
    """The `top_k` completed trials with the best value of `objective` (KerasTuner's
    `get_best_trials` fills up with failed or running trials, and ranks several objectives
    by their sum)."""
    scored = [
        trial
        for trial in oracle.trials.values()
        if trial.status == TrialStatus.COMPLETED and best_metric(trial, objective) is not None
    ]
    sign = 1 if objective.direction == "max" else -1
    scored.sort(key=lambda trial: -sign * best_metric(trial, objective))
    return scored[:top_k]


def _check_validation(name: str, fit_kwargs: dict[str, Any]) -> None:
    validated = fit_kwargs.get("validation_data") is not None or fit_kwargs.get("validation_split")
    if name.startswith("val_") and not validated:
        raise ValueError(
            f"The search's objective is {name!r}, a validation metric, so `transfer` needs "
            "validation data: pass `validation_data=(x_val, y_val)` (or `validation_split`), "
            "as to `search`."
        )


def _settings(
    objective: str, x: Any, width: float | None, cells: int | None, fit_kwargs: dict[str, Any]
) -> dict[str, Any]:
    fit = {name: fit_kwargs.get(name) for name in _SETTINGS_FIT_ARGUMENTS}
    return {
        "objective": objective,
        "width_multiplier": width,
        "cells_per_stage": cells,
        "examples": _examples(x),
        **fit,
    }


def _examples(x: Any) -> int | None:
    if isinstance(x, dict):
        x = next(iter(x.values()), None)
    elif isinstance(x, (list, tuple)):
        x = x[0] if x else None
    return len(x) if hasattr(x, "__len__") and hasattr(x, "shape") else None


def _recorded(path: str, settings: dict[str, Any], overwrite: bool) -> dict[str, Any]:
    record = None if overwrite or not os.path.exists(path) else read_json_state(path, "transfer")
    if record is None:
        return {}
    try:
        done = {
            item["trial_id"]: TransferredArchitecture(**item) for item in record["architectures"]
        }
    except (TypeError, KeyError) as error:
        raise ValueError(
            f"{path} is not a transfer record as `transfer` writes it ({error!r}). Pass "
            "`overwrite=True` to start a new transfer."
        ) from None
    if record.get("settings") != settings:
        recorded = record.get("settings") if isinstance(record.get("settings"), dict) else {}
        changed = {
            name: (recorded.get(name), value)
            for name, value in settings.items()
            if recorded.get(name) != value
        }
        raise ValueError(
            f"{path} records a transfer with other settings (recorded, now): {changed}. Pass "
            "the same settings to resume it, or `overwrite=True` to start a new one."
        )
    return done


def _save(path: str, settings: dict[str, Any], done: dict[str, Any]) -> None:
    architectures = [dataclasses.asdict(item) for item in done.values()]
    write_json_atomically(path, {"settings": settings, "architectures": architectures})


def _train(
    tuner: Any,
    space: Any,
    trial: Any,
    objective: Any,
    x: Any,
    y: Any,
    fit_kwargs: dict[str, Any],
    verbose: int,
) -> TransferredArchitecture:
    values = dict(trial.hyperparameters.values)
    proxy_score = best_metric(trial, objective)
    summary = _summary(space, values)
    start = time.perf_counter()
    release_keras_state()
    try:
        model = _build(tuner, space, values)
        callbacks = [*(fit_kwargs.pop("callbacks", None) or []), TrialGuard()]
        history = model.fit(
            x, y, verbose=0 if verbose < 2 else 2, callbacks=callbacks, **fit_kwargs
        )
        full_score = best_of(history.history, objective)
    except Exception as error:  # A failed candidate is recorded, never stops the transfer.
        full_score, message = None, _reason(error)
    else:
        try:
            _save_model(model, tuner.project_dir, trial.trial_id)
            message = None
        except Exception as error:  # The score stands; only the file is missing.
            message = f"the model was not saved: {_reason(error)}"
    return TransferredArchitecture(
        trial_id=trial.trial_id,
        summary=summary,
        values=values,
        proxy_score=proxy_score,
        full_score=full_score,
        seconds=time.perf_counter() - start,
        message=message,
    )


def _reason(error: Exception) -> str:
    return failure_reason(f"{type(error).__name__}: {error}")


def _build(tuner: Any, space: Any, values: dict[str, Any]) -> keras.Model:
    if isinstance(space, SearchSpace):
        return space.build_model(values)
    hp = keras_tuner.HyperParameters()
    hp.values.update(values)
    return tuner.hypermodel.build(hp)


def _summary(space: Any, values: dict[str, Any]) -> str:
    describe = getattr(space, "describe", None)
    return describe(values)["summary"] if describe else str(values)


def best_metric(trial: Any, objective: Any) -> float | None:
    if not trial.metrics.exists(objective.name):
        return None
    value = trial.metrics.get_best_value(objective.name)
    return None if value is None or not math.isfinite(value) else float(value)


def best_of(history: dict[str, list], objective: Any) -> float:
    if objective.name not in history:
        raise ValueError(
            f"The training logged no {objective.name!r} (it logged {sorted(history)}), so the "
            "architecture cannot be scored as the search was. Pass the data and metrics the "
            "search had."
        )
    finite = [value for value in history[objective.name] if math.isfinite(value)]
    if not finite:
        raise ValueError(f"Every epoch's {objective.name} was NaN or infinite.")
    return float(max(finite) if objective.direction == "max" else min(finite))


def _save_model(model: keras.Model, project_dir: str, trial_id: str) -> None:
    folder = os.path.join(project_dir, TRANSFER_MODELS_DIR)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"trial_{trial_id}.keras")
    partial = os.path.join(folder, f".trial_{trial_id}.partial.keras")
    model.save(partial)
    os.replace(partial, path)


def _result(objective: Any, architectures: list[TransferredArchitecture]) -> TransferResult:
    sign = 1 if objective.direction == "max" else -1
    scored = [item for item in architectures if item.full_score is not None]
    failed = [item for item in architectures if item.full_score is None]
    scored.sort(key=lambda item: -sign * item.full_score)
    both = [item for item in scored if item.proxy_score is not None]
    correlation = rank_correlation(
        [item.proxy_score for item in both], [item.full_score for item in both]
    )
    return TransferResult(objective.name, objective.direction, scored + failed, correlation)


def _progress_line(number: int, total: int, item: TransferredArchitecture, name: str) -> str:
    proxy = "-" if item.proxy_score is None else f"{item.proxy_score:.4f}"
    if item.full_score is None:
        outcome = f"failed: {item.message}"
    else:
        outcome = f"full {name} {item.full_score:.4f}"
    return (
        f"[transfer {number}/{total}] trial {item.trial_id}: proxy {proxy} -> {outcome} "
        f"({item.seconds:.1f} s) {item.summary}"
    )
