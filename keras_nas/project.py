"""A search's project folder, read: `load_report` and the records it returns.

Size: just over 400 lines, one idea (reading the folder); this description of what it reads
and the records' documented fields are a quarter of it.

`load_report` (and so `keras-nas report DIR`) reads a KerasTuner project folder, the tuner's
`directory/project_name`, as JSON files only, so it needs neither TensorFlow nor the search
space, and works on a search that is still running. It reads:

- `oracle.json`: KerasTuner's oracle state; its `start_order` numbers the trials.
- `trial_<id>/trial.json`: KerasTuner's trial state: `trial_id`, `hyperparameters.values`,
  `metrics.metrics.<name>.observations[].value`, `score`, `status` and `message`.
- `search.json` (written by keras-nas tuners, optional): `{"objective": [{"name", "direction"},
  ...], "oracle", "space", "max_trials", "keras_nas_version"}`, and for keras-nas spaces
  `space_class` and `space_config` (what `keras-nas export` rebuilds the model from).
  Without it the objective is inferred: the metric whose best value equals every completed
  trial's score gives its name and direction; when none (or several with different
  directions) does, the score is shown as "score", and higher is taken to be better.
- `trial_<id>/architecture.json` (keras-nas tuners, optional): the space's `describe(values)`
  (`space`, `summary`, `genotype`) and its `architecture_graph(values)` as `graph`. Without
  it the architecture is shown as its `name=value` pairs.
- the trial metrics `params` and `flops` (keras-nas tuners, optional; "-" when absent), at
  their latest step, and `build_seconds`, `fit_seconds` and `bookkeeping_seconds`
  (`keras_nas.timing`), shown as the `build/fit/other` column and summed over the trials in
  the headline.

One rule for a trial's time (`keras_nas.timing.total_seconds`): its `seconds` are the sum of
its three parts, recorded when it ended; the `seconds` metric of its latest epoch stands in
only where it has not recorded them (a trial still running, or one recorded before keras-nas
timed its parts). Each part is shown rounded so that the parts add up to the `seconds` shown,
and likewise the headline's seconds and shares.
"""

from __future__ import annotations

import dataclasses
import glob
import json
import math
import os
import re
from typing import Any

from keras_nas.estimation.pruning import STOPPED_EARLY
from keras_nas.estimation.zero_cost_filter import METRIC_PREFIX
from keras_nas.files import (
    ARCHITECTURE_FILE,
    ORACLE_FILE,
    SEARCH_FILE,
    TRANSFER_FILE,
    TRIAL_FILE,
)
from keras_nas.objectives.pareto import DIRECTIONS
from keras_nas.timing import TIMING_METRICS, total_seconds


@dataclasses.dataclass(frozen=True)
class Objective:
    """An objective of a search: a metric name and whether to `"max"`imise or `"min"`imise it."""

    name: str
    direction: str


@dataclasses.dataclass(frozen=True)
class TrialRow:
    """One trial of a report.

    Attributes:
        trial_id: KerasTuner's trial id, e.g. `"07"`.
        status: `"completed"`, `"stopped early"`, `"failed"`, `"running"`, `"invalid"`,
            `"stopped"` or `"idle"`.
        score: KerasTuner's score of the trial, or `None` (failed, running).
        params: The `params` metric, or `None` where the trial has none; `flops` likewise.
        seconds: The trial's time: the sum of `timing`, or without it the `seconds` metric
            of its latest epoch, or `None` (see the module's documentation).
        timing: The trial's seconds in each part, `{"build", "fit", "bookkeeping"}`, or
            `None` where it has not all three.
        summary: The one-line architecture (`describe(values)["summary"]`), or the values as
            `name=value` pairs without `architecture.json`.
        values: The trial's hyperparameter values.
        objectives: The best value of each objective's metric in this trial (`None` where
            it has none), by objective name.
        message: KerasTuner's message of the trial (a failure's traceback, or why it was
            stopped early), or `None`.
        description: The trial's `architecture.json`, or `None`.
        zero_cost: The trial's zero-cost proxy scores (metrics `zero_cost/<proxy>`), by proxy;
            NaN where the proxy gave no finite score.
    """

    trial_id: str
    status: str
    score: float | None
    params: int | float | None
    flops: int | float | None
    seconds: float | None
    timing: dict[str, float] | None
    summary: str
    values: dict[str, Any]
    objectives: dict[str, float | None]
    message: str | None
    description: dict[str, Any] | None
    zero_cost: dict[str, float] = dataclasses.field(default_factory=dict)

    @property
    def completed(self) -> bool:
        """Whether the trial ended with a result (stopped early included)."""
        return self.status in ("completed", "stopped early")


@dataclasses.dataclass(frozen=True)
class SearchReport:
    """What `load_report` finds in a project folder.

    Attributes:
        directory: The project folder.
        objective: The objectives of `search.json`, or the one inferred from the trials (see
            the module's documentation); empty when it could not be inferred.
        objective_source: `"search.json"`, `"inferred"` or `"unknown"`.
        score_name: What the score column holds: the objective's name, `"multi_objective"`
            (KerasTuner's sum of the objectives, each turned so that lower is better), or
            `"score"` when unknown.
        direction: `"max"` if a higher score is better, `"min"` if lower is.
        rows: The trials, in the order in which they started.
        best: The completed trial with the best score, or `None`.
        search: The content of `search.json`, or `None`.
        skipped: Files that could not be read, each with the reason.
        transfer: The content of `transfer.json` (`NASTuner.transfer`: its settings and
            each architecture's proxy and full scores), or `None`.
        space: The search space as `oracle.json` holds it: one `{"class_name", "config"}`
            per hyperparameter (KerasTuner's form); empty when unknown.
        active_hyperparameters: Trial id -> the hyperparameters its build read, as a
            keras-nas oracle records them (`keras_nas.oracles.active`); empty when unknown.
        baseline_trials: The ids of the random control's trials (`baseline="random"`).
        initial_trials: The ids of the trials of `initial_architectures`.
        time: The search's time record (`oracle.json`'s `time`: each trial's end in search
            seconds, the limits, why it stopped; `keras_nas.oracles.time_limits`), or
            empty.
    """

    directory: str
    objective: list[Objective]
    objective_source: str
    score_name: str
    direction: str
    rows: list[TrialRow]
    best: TrialRow | None
    search: dict[str, Any] | None
    skipped: list[str]
    transfer: dict[str, Any] | None = None
    space: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    active_hyperparameters: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    baseline_trials: list[str] = dataclasses.field(default_factory=list)
    initial_trials: list[str] = dataclasses.field(default_factory=list)
    time: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def best_description(self) -> dict[str, Any] | None:
        """The best trial's `architecture.json`, or `None`."""
        return self.best.description if self.best else None


def load_report(directory: str) -> SearchReport:
    """Reads the trials of a KerasTuner project folder into a `SearchReport`.

    Example:
    >>> import json, os, tempfile
    >>> project = tempfile.mkdtemp()
    >>> with open(os.path.join(project, "oracle.json"), "w") as file:
    ...     json.dump({"start_order": []}, file)
    >>> load_report(project).rows
    []

    Args:
        directory: The project folder, `directory/project_name` of the tuner (its
            `project_dir`), which holds `oracle.json` and one `trial_<id>/trial.json` per
            trial.

    Returns:
        The report: trials in the order in which they started, objective, best trial.

    Raises:
        ValueError: if `directory` is not a project folder, or `oracle.json`,
            `search.json` or a `trial.json` is not valid JSON of the expected form.
    """
    _check_project(directory)
    oracle = _read_json(os.path.join(directory, ORACLE_FILE))
    search_path = os.path.join(directory, SEARCH_FILE)
    search = _read_json(search_path) if os.path.exists(search_path) else None
    states, skipped = _read_trials(directory)
    states = _in_start_order(states, oracle.get("start_order") if isinstance(oracle, dict) else [])

    if search is not None:
        objective, source = _objectives_of(search, search_path), SEARCH_FILE
    else:
        objective = _infer_objective(states)
        source = "inferred" if objective else "unknown"
    if len(objective) == 1:
        score_name, direction = objective[0].name, objective[0].direction
    elif objective:
        score_name, direction = "multi_objective", "min"
    else:
        score_name, direction = "score", "max"

    rows = []
    for path, state in states:
        description, problem = _read_description(os.path.dirname(path))
        if problem:
            skipped.append(problem)
        rows.append(_row(state, objective, description))
    scored = [row for row in rows if row.completed and row.score is not None]
    sign = 1 if direction == "max" else -1
    best = max(scored, key=lambda row: sign * row.score, default=None)
    return SearchReport(
        directory=directory,
        objective=objective,
        objective_source=source,
        score_name=score_name,
        direction=direction,
        rows=rows,
        best=best,
        search=search,
        skipped=skipped,
        transfer=_read_transfer(directory, skipped),
        space=_space_of(oracle),
        active_hyperparameters=_active_of(oracle),
        baseline_trials=_trial_ids(oracle, "baseline_trials"),
        initial_trials=_trial_ids(oracle, "initial_trials"),
        time=_time_of(oracle),
    )


def _trial_ids(oracle: Any, key: str) -> list[str]:
    """The list of trial ids under `key` in `oracle.json` (empty without one)."""
    trials = oracle.get(key) if isinstance(oracle, dict) else None
    return [str(trial_id) for trial_id in trials] if isinstance(trials, list) else []


def _time_of(oracle: Any) -> dict[str, Any]:
    """`oracle.json`'s time record (empty without one)."""
    time = oracle.get("time") if isinstance(oracle, dict) else None
    return time if isinstance(time, dict) else {}


def _space_of(oracle: Any) -> list[dict[str, Any]]:
    """The hyperparameters of `oracle.json` that have a class and a named config."""
    space = oracle.get("hyperparameters") if isinstance(oracle, dict) else None
    space = space.get("space") if isinstance(space, dict) else None
    return [
        item
        for item in space or []
        if isinstance(item, dict)
        and isinstance(item.get("class_name"), str)
        and isinstance(item.get("config"), dict)
        and isinstance(item["config"].get("name"), str)
    ]


def _active_of(oracle: Any) -> dict[str, list[str]]:
    """The active hyperparameters of `oracle.json`, by trial id."""
    active = oracle.get("active_hyperparameters") if isinstance(oracle, dict) else None
    if not isinstance(active, dict):
        return {}
    return {
        str(trial_id): [name for name in names if isinstance(name, str)]
        for trial_id, names in active.items()
        if isinstance(names, list)
    }


def _read_transfer(directory: str, skipped: list[str]) -> dict[str, Any] | None:
    path = os.path.join(directory, TRANSFER_FILE)
    if not os.path.exists(path):
        return None
    try:
        record = _read_json(path)
    except ValueError as error:
        skipped.append(f"{TRANSFER_FILE}: {error}")
        return None
    if not isinstance(record, dict) or not isinstance(record.get("architectures"), list):
        skipped.append(f"{TRANSFER_FILE}: not a transfer record (no list of architectures)")
        return None
    architectures = [item for item in record["architectures"] if _is_transferred(item)]
    if len(architectures) < len(record["architectures"]):
        count = len(record["architectures"]) - len(architectures)
        skipped.append(f"{TRANSFER_FILE}: {count} architectures without a trial id and scores")
    settings = record.get("settings")
    return {
        "settings": settings if isinstance(settings, dict) else {},
        "architectures": architectures,
    }


def _is_transferred(item: Any) -> bool:
    """Whether a `transfer.json` item has what the report shows, of the right types."""
    if not isinstance(item, dict) or not isinstance(item.get("trial_id"), str):
        return False
    numbers = [item.get(name) for name in ("proxy_score", "full_score", "seconds")]
    return all(
        value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))
        for value in numbers
    )


# -------------------------------------------------------------------------------- reading
def _check_project(directory: str) -> None:
    if os.path.isfile(os.path.join(directory, ORACLE_FILE)):
        return
    projects = []
    if not os.path.exists(directory):
        found = "which does not exist"
    elif not os.path.isdir(directory):
        found = "which is a file, not a folder"
    else:
        entries = sorted(os.listdir(directory))
        shown = ", ".join(entries[:8]) + (
            f" and {len(entries) - 8} more" if len(entries) > 8 else ""
        )
        found = f"which holds no oracle.json ({'it holds ' + shown if entries else 'it is empty'})"
        projects = [
            entry
            for entry in entries
            if os.path.isfile(os.path.join(directory, entry, ORACLE_FILE))
        ]
    message = (
        "`keras-nas report` needs the project folder of a KerasTuner search, the tuner's "
        "`directory/project_name`, which holds oracle.json and one trial_<id>/trial.json per "
        f"trial. Received: {directory!r}, {found}."
    )
    if projects:
        message += (
            f" Its subfolders {projects} are project folders: pass one of them, e.g. "
            f"`keras-nas report {os.path.join(directory, projects[0])}`."
        )
    else:
        message += " Pass the tuner's `project_dir` (its `directory` joined with `project_name`)."
    raise ValueError(message)


def _read_json(path: str) -> Any:
    try:
        with open(path) as file:
            return json.load(file)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(
            f"{path} must be a JSON file, as KerasTuner and keras-nas write it. Received a file "
            f"that does not parse ({error}). Was it cut short, or written by another program?"
        ) from None
    except OSError as error:
        raise ValueError(f"Cannot read {path}: {error}. Check its permissions.") from None


def _read_trials(directory: str) -> tuple[list[tuple[str, dict[str, Any]]], list[str]]:
    states, skipped = [], []
    for folder in sorted(glob.glob(os.path.join(glob.escape(directory), "trial_*"))):
        path = os.path.join(folder, TRIAL_FILE)
        if not os.path.isdir(folder):
            continue
        if not os.path.isfile(path):
            skipped.append(f"{folder}: no trial.json")
            continue
        try:
            state = _read_json(path)
        except ValueError:
            # A running search may be rewriting this file; the other trials still report.
            skipped.append(f"{path}: not valid JSON (being written?)")
            continue
        if not isinstance(state, dict) or "trial_id" not in state:
            skipped.append(f"{path}: not a KerasTuner trial (no trial_id)")
            continue
        states.append((path, state))
    return states, skipped


def _in_start_order(
    states: list[tuple[str, dict[str, Any]]], start_order: Any
) -> list[tuple[str, dict[str, Any]]]:
    order = {str(trial_id): position for position, trial_id in enumerate(start_order or [])}

    def key(item):
        trial_id = str(item[1]["trial_id"])
        return (order.get(trial_id, len(order)), _natural_key(trial_id))

    return sorted(states, key=key)


def _natural_key(text: str) -> list:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def _objectives_of(search: Any, path: str) -> list[Objective]:
    entries = search.get("objective") if isinstance(search, dict) else None
    if isinstance(entries, dict):
        entries = [entries]
    valid = isinstance(entries, list) and all(
        isinstance(entry, dict)
        and isinstance(entry.get("name"), str)
        and entry.get("direction") in DIRECTIONS
        for entry in entries
    )
    if not valid:
        raise ValueError(
            f'{path} must hold "objective": a list of {{"name": ..., "direction": "max" or '
            f'"min"}}. Received: objective={entries!r}. Delete the file to report without it.'
        )
    return [Objective(entry["name"], entry["direction"]) for entry in entries]


def _infer_objective(states: list[tuple[str, dict[str, Any]]]) -> list[Objective]:
    """The metric whose best value is every completed trial's score, if the trials agree."""
    candidates = None
    directions: dict[str, str] = {}
    for _, state in states:
        score = _finite(state.get("score"))
        if state.get("status") != "COMPLETED" or score is None:
            continue
        matches = set()
        for name, metric in _metrics(state).items():
            direction = metric.get("direction") if isinstance(metric, dict) else None
            best = _best_value(metric, direction)
            if direction in DIRECTIONS and best is not None and math.isclose(best, score):
                matches.add(name)
                directions[name] = direction
        candidates = matches if candidates is None else candidates & matches
    if not candidates or len({directions[name] for name in candidates}) != 1:
        return []
    if len(candidates) > 1:
        # `accuracy` and `val_accuracy` can both reach 1.0; KerasTuner defaults to `val_`.
        validation = [name for name in candidates if name.startswith("val_")]
        if len(validation) != 1:
            return []
        candidates = validation
    (name,) = candidates
    return [Objective(name, directions[name])]


def _read_description(folder: str) -> tuple[dict[str, Any] | None, str | None]:
    path = os.path.join(folder, ARCHITECTURE_FILE)
    if not os.path.isfile(path):
        return None, None
    try:
        description = _read_json(path)
    except ValueError:
        return None, f"{path}: not valid JSON"
    if not isinstance(description, dict) or not isinstance(description.get("summary"), str):
        return None, f"{path}: no summary"
    graph = description.get("graph")
    if graph is not None and not (
        isinstance(graph, dict)
        and isinstance(graph.get("nodes"), list)
        and isinstance(graph.get("edges"), list)
    ):
        description = {key: value for key, value in description.items() if key != "graph"}
        return description, f'{path}: graph is not {{"nodes": [...], "edges": [...]}}'
    return description, None


def _row(
    state: dict[str, Any], objective: list[Objective], description: dict[str, Any] | None
) -> TrialRow:
    metrics = _metrics(state)
    timing = _timing(metrics)
    hyperparameters = state.get("hyperparameters")
    values = hyperparameters.get("values", {}) if isinstance(hyperparameters, dict) else {}
    message = state.get("message")
    status = str(state.get("status", "")).lower()
    if status == "completed" and isinstance(message, str):
        if message.startswith(STOPPED_EARLY):
            status = "stopped early"
    if description is not None:
        summary = description["summary"]
    else:
        summary = ", ".join(f"{name}={value}" for name, value in values.items())
    return TrialRow(
        trial_id=str(state["trial_id"]),
        status=status,
        score=_finite(state.get("score")),
        params=_whole(_last_value(metrics.get("params"))),
        flops=_whole(_last_value(metrics.get("flops"))),
        seconds=total_seconds(timing, _last_value(metrics.get("seconds"))),
        timing=timing,
        summary=summary,
        values=values,
        objectives={
            item.name: _best_value(metrics.get(item.name), item.direction) for item in objective
        },
        message=message,
        description=description,
        zero_cost={
            name.removeprefix(METRIC_PREFIX): _proxy_score(metric)
            for name, metric in metrics.items()
            if name.startswith(METRIC_PREFIX)
        },
    )


def _timing(metrics: dict[str, Any]) -> dict[str, float] | None:
    parts = {part: _last_value(metrics.get(name)) for part, name in TIMING_METRICS.items()}
    if any(value is None for value in parts.values()):
        return None
    return parts


def _metrics(state: dict[str, Any]) -> dict[str, Any]:
    metrics = state.get("metrics")
    metrics = metrics.get("metrics") if isinstance(metrics, dict) else None
    return metrics if isinstance(metrics, dict) else {}


def _observed(metric: Any) -> list[tuple[float, float]]:
    """`(step, value)` of each observation; a value is the mean of the list KerasTuner keeps."""
    observations = metric.get("observations") if isinstance(metric, dict) else None
    observed = []
    for observation in observations if isinstance(observations, list) else []:
        if not isinstance(observation, dict):
            continue
        value = observation.get("value")
        numbers = [_finite(item) for item in (value if isinstance(value, list) else [value])]
        if numbers and None not in numbers:
            step = _finite(observation.get("step"))
            observed.append((step or 0.0, sum(numbers) / len(numbers)))
    return observed


def _best_value(metric: Any, direction: str | None) -> float | None:
    values = [value for _, value in _observed(metric)]
    if not values:
        return None
    return min(values) if direction == "min" else max(values)


def _last_value(metric: Any) -> float | None:
    """The value at the latest step (`seconds` grows by epoch; `params` has one step)."""
    observed = _observed(metric)
    return max(observed, key=lambda pair: pair[0])[1] if observed else None


def _proxy_score(metric: Any) -> float:
    """A zero-cost score; NaN where it is not finite (the proxy ranked the trial last)."""
    value = _last_value(metric)
    return math.nan if value is None else value


def _whole(value: float | None) -> int | float | None:
    return int(value) if value is not None and value.is_integer() else value


def _finite(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None
