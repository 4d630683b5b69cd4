"""Reports of a search: a table of its trials, its best architecture and plots.

Size: about 790 lines, a third of them this documentation and the examples, in three parts
that share the `SearchReport` record: reading the JSON files (`load_report`), formatting them
(`format_report`, `report_json`) and writing the plots (`write_report`, drawing in
`keras_nas.plots`). The file formats are described in ARCHITECTURE.md; the objective
directions and the Pareto front come from `keras_nas.objectives.pareto`.

`keras-nas report DIR` (and `load_report`) reads a KerasTuner project folder, the tuner's
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

One numbering: a trial is named by its KerasTuner trial id (`"0"`, `"1"`, ... for
KerasTuner's oracles), in the table, the JSON report, on the x axis of `progress.png`, in
TensorBoard's `search` run (its step) and on the progress line of a search. Where ids are not
all whole numbers, `progress.png` numbers the trials 0, 1, ... in the order they started.

`write_report` draws `progress.png` (score by trial id and best so far), `pareto.png` (for two
or more objectives in `search.json`: the first two, each trial's best value of each) and
`architecture.png` (the best trial's graph, when its `architecture.json` has one).
"""

from __future__ import annotations

import dataclasses
import glob
import json
import math
import os
import re
from collections.abc import Sequence
from typing import Any

from keras_nas.estimation.pruning import STOPPED_EARLY
from keras_nas.files import ARCHITECTURE_FILE, ORACLE_FILE, SEARCH_FILE, TRIAL_FILE, atomic_file
from keras_nas.messages import failure_reason
from keras_nas.objectives.pareto import DIRECTIONS
from keras_nas.timing import TIMING_METRICS, total_seconds

#: Characters of the architecture column of the trials table; longer summaries end in "...".
ARCHITECTURE_WIDTH = 60

#: The columns of the trials table; a multi-objective search adds one per objective.
COLUMNS = (
    "trial",
    "status",
    "score",
    "params",
    "flops",
    "seconds",
    "build/fit/other",
    "architecture",
)


_REASON_WIDTH = 100


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
    )


def write_report(report: SearchReport, out_dir: str) -> list[str]:
    """Writes the report's plots as PNG files into `out_dir` (created if needed).

    `progress.png` always: each completed trial's score (for several objectives, the first
    objective's value) at its trial id, and the best so far. `pareto.png` when the search has
    two or more objectives: the first two, with the non-dominated trials highlighted.
    `architecture.png` when the best trial's `architecture.json` has a `graph`. Files are
    replaced atomically.

    Example:
    >>> import json, os, tempfile
    >>> project = tempfile.mkdtemp()
    >>> with open(os.path.join(project, "oracle.json"), "w") as file:
    ...     json.dump({}, file)
    >>> [os.path.basename(path) for path in write_report(load_report(project), project)]
    ['progress.png']

    Args:
        report: The output of `load_report`.
        out_dir: The folder for the PNG files.

    Returns:
        The paths written.

    Raises:
        OSError: if a file cannot be written.
    """
    from keras_nas import plots  # matplotlib: only when plots are drawn.

    os.makedirs(out_dir, exist_ok=True)
    if len(report.objective) > 1:
        first = report.objective[0]
        values = [row.objectives[first.name] if row.completed else None for row in report.rows]
        name, direction = first.name, first.direction
    else:
        values = [row.score if row.completed else None for row in report.rows]
        name, direction = report.score_name, report.direction
    images = {
        "progress.png": plots.progress_png(
            values, direction=direction, objective=name, trial_ids=_trial_numbers(report.rows)
        )
    }
    if len(report.objective) > 1:
        x, y = report.objective[:2]
        points = [
            (row.objectives[x.name], row.objectives[y.name]) for row in report.rows if row.completed
        ]
        images["pareto.png"] = plots.pareto_png(
            points, (x.direction, y.direction), (x.name, y.name)
        )
    graph = (report.best_description or {}).get("graph")
    if graph is not None:
        title = f"Best trial {report.best.trial_id}: {report.score_name} {report.best.score:.4f}"
        images["architecture.png"] = plots.architecture_png(graph, title=title)
    paths = []
    for filename, png in images.items():
        path = os.path.join(out_dir, filename)
        with atomic_file(path, "wb") as file:
            file.write(png)
        paths.append(path)
    return paths


def format_report(report: SearchReport, plots: Sequence[str] = ()) -> str:
    """Renders a report as text: the search, the trials table and the best architecture.

    The table has the columns `COLUMNS` (for a multi-objective search, plus one per objective
    after the score); missing values are "-", and architectures are cut to
    `ARCHITECTURE_WIDTH` characters. Failed trials are listed with the last line of their
    error. The best architecture follows in full: its summary and genotype, as
    `name = value` lines (the trial's values where it has no `architecture.json`).

    Example:
    >>> import json, os, tempfile
    >>> project = tempfile.mkdtemp()
    >>> with open(os.path.join(project, "oracle.json"), "w") as file:
    ...     json.dump({}, file)
    >>> print(format_report(load_report(project)).splitlines()[-1])
    No completed trial with a score yet.

    Args:
        report: The output of `load_report`.
        plots: Paths of the plots written (`write_report`), listed at the end.

    Returns:
        The report's text, without a final newline.
    """
    lines = [*_headline(report), _objective_line(report), ""]
    extra = []
    if len(report.objective) > 1:
        extra = [item.name for item in report.objective if item.name not in COLUMNS]
    columns = [*COLUMNS[:3], *extra, *COLUMNS[3:]]
    rows = [
        {
            "trial": row.trial_id,
            "status": row.status,
            "score": row.score,
            "params": row.params,
            "flops": row.flops,
            "seconds": None if row.seconds is None else f"{row.seconds:.1f}",
            "build/fit/other": _timing_cell(row.timing),
            "architecture": _truncate(row.summary, ARCHITECTURE_WIDTH),
            **{name: row.objectives.get(name) for name in extra},
        }
        for row in report.rows
    ]
    lines.append(format_table(rows, columns) if rows else "No trials yet.")
    failed = [row for row in report.rows if row.status == "failed"]
    if failed:
        lines += ["", "Failed trials:"]
        lines += [f"  {row.trial_id}: {_reason(row.message)}" for row in failed]
    lines.append("")
    best = report.best
    if best is None:
        lines.append("No completed trial with a score yet.")
    else:
        lines.append(f"Best trial {best.trial_id}: {best.score:.4f}")
        if best.description is not None:
            lines.append(f"Summary: {best.description.get('summary', best.summary)}")
            lines.append("Genotype:")
            genotype = best.description.get("genotype")
            genotype = _flatten(genotype if isinstance(genotype, dict) else best.values)
            lines += [f"  {name} = {value}" for name, value in genotype.items()]
        else:
            lines.append("Values:")
            lines += [f"  {name} = {value}" for name, value in best.values.items()]
    if report.skipped:
        lines += ["", "Skipped:"] + [f"  {problem}" for problem in report.skipped]
    if plots:
        lines += ["", "Plots: " + ", ".join(plots)]
    return "\n".join(lines)


def report_json(report: SearchReport, plots: Sequence[str] = ()) -> dict[str, Any]:
    """The report as one JSON-safe dict: objective, best trial and every trial in full.

    Non-finite numbers (a NaN score) become `None`.

    Example:
    >>> import json, os, tempfile
    >>> project = tempfile.mkdtemp()
    >>> with open(os.path.join(project, "oracle.json"), "w") as file:
    ...     json.dump({}, file)
    >>> report_json(load_report(project))["objective"]
    {'source': 'unknown', 'objectives': [], 'score': 'score', 'direction': 'max'}

    Args:
        report: The output of `load_report`.
        plots: Paths of the plots written (`write_report`).

    Returns:
        `{"directory", "search", "objective", "best_trial", "best_architecture", "trials",
        "skipped", "plots"}`; each trial has the table's fields (`architecture` in full),
        `objectives`, `values` and `message`.
    """
    return _json_safe(
        {
            "directory": report.directory,
            "search": report.search,
            "objective": {
                "source": report.objective_source,
                "objectives": [dataclasses.asdict(objective) for objective in report.objective],
                "score": report.score_name,
                "direction": report.direction,
            },
            "best_trial": report.best.trial_id if report.best else None,
            "best_architecture": report.best_description,
            "trials": [
                {
                    "trial": row.trial_id,
                    "status": row.status,
                    "score": row.score,
                    "params": row.params,
                    "flops": row.flops,
                    "seconds": row.seconds,
                    "timing": row.timing,
                    "architecture": row.summary,
                    "objectives": row.objectives,
                    "values": row.values,
                    "message": row.message,
                }
                for row in report.rows
            ],
            "skipped": report.skipped,
            "plots": list(plots),
        }
    )


def format_table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    """Formats `rows` as a fixed-width text table with the given column order.

    Example:
    >>> print(format_table([{"trial": "01", "score": 0.98}], ["trial", "score"]))
    trial  score
    -----  ------
    01     0.9800
    """
    cells = [[_cell(row.get(column)) for column in columns] for row in rows]
    widths = [
        max([len(column)] + [len(line[i]) for line in cells]) for i, column in enumerate(columns)
    ]
    lines = [
        "  ".join(column.ljust(width) for column, width in zip(columns, widths, strict=True)),
        "  ".join("-" * width for width in widths),
    ]
    lines += [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True))
        for line in cells
    ]
    return "\n".join(line.rstrip() for line in lines)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


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
    )


def _timing(metrics: dict[str, Any]) -> dict[str, float] | None:
    parts = {part: _last_value(metrics.get(name)) for part, name in TIMING_METRICS.items()}
    if any(value is None for value in parts.values()):
        return None
    return parts


def _timing_cell(timing: dict[str, float] | None) -> str | None:
    if timing is None:
        return None
    shown = _rounded_parts(timing, digits=1)
    return "/".join(f"{shown[part]:.1f}" for part in TIMING_METRICS)


def _time_line(report: SearchReport) -> str | None:
    """The time the trials took, in total and in each part, or `None` without timings."""
    timings = [row.timing for row in report.rows if row.timing is not None]
    if not timings:
        return None
    sums = {part: sum(timing[part] for timing in timings) for part in TIMING_METRICS}
    total = sum(sums.values())
    shown = _rounded_parts(sums, digits=1)
    if total:
        shares = _rounded_parts({part: 100 * sums[part] / total for part in sums}, digits=0)
        parts = [f"{part} {shown[part]:.1f} s ({shares[part]:.0f}%)" for part in sums]
    else:
        parts = [f"{part} {shown[part]:.1f} s" for part in sums]
    return f"Time in {len(timings)} trials: {total:.1f} s; {', '.join(parts)}"


def _rounded_parts(parts: dict[str, float], digits: int) -> dict[str, float]:
    """`parts` rounded to `digits` decimals so that they add up to their sum as it is shown.

    Largest remainders: each part is rounded down, and the parts that lost the most are
    rounded up until they add up.
    """
    unit = 10**digits
    target = round(float(f"{sum(parts.values()):.{digits}f}") * unit)
    scaled = {name: value * unit for name, value in parts.items()}
    shown = {name: math.floor(value) for name, value in scaled.items()}
    lost_most = sorted(scaled, key=lambda name: shown[name] - scaled[name])
    for name in lost_most[: target - sum(shown.values())]:
        shown[name] += 1
    return {name: value / unit for name, value in shown.items()}


def _trial_numbers(rows: Sequence[TrialRow]) -> list[int]:
    """The trial ids as numbers, or 0, 1, ... in start order where they are not all numbers."""
    if all(row.trial_id.isdecimal() for row in rows):
        numbers = [int(row.trial_id) for row in rows]
        if len(set(numbers)) == len(numbers):
            return numbers
    return list(range(len(rows)))


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


def _whole(value: float | None) -> int | float | None:
    return int(value) if value is not None and value.is_integer() else value


def _finite(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


# ------------------------------------------------------------------------------- rendering
def _headline(report: SearchReport) -> list[str]:
    search = report.search or {}
    lines = [f"Search: {report.directory}"]
    what = " over ".join(str(search[key]) for key in ("oracle", "space") if search.get(key))
    if search.get("keras_nas_version"):
        what += f"{', ' if what else ''}keras-nas {search['keras_nas_version']}"
    if what:
        lines.append(what)
    counts: dict[str, int] = {}
    for row in report.rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    trials = f"Trials: {len(report.rows)}"
    if search.get("max_trials"):
        trials += f" of {search['max_trials']}"
    if counts:
        trials += " (" + ", ".join(f"{count} {status}" for status, count in counts.items()) + ")"
    time_line = _time_line(report)
    return [*lines, trials, *([time_line] if time_line else [])]


def _objective_line(report: SearchReport) -> str:
    if report.objective_source == "unknown":
        return (
            f"Objective: unknown (no search.json, and no metric matches the scores); "
            f"score taken as {report.direction}"
        )
    names = ", ".join(f"{item.name} ({item.direction})" for item in report.objective)
    if report.objective_source == "inferred":
        return f"Objective: {names}, inferred from the scores (no search.json)"
    if len(report.objective) > 1:
        return f"Objectives: {names}; score: KerasTuner's multi_objective (lower is better)"
    return f"Objective: {names}"


def _truncate(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _reason(message: Any) -> str:
    return _truncate(failure_reason(str(message or "")), _REASON_WIDTH)


def _flatten(genotype: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """The flat hyperparameter names of a nested genotype (`describe` nests them by `/`)."""
    flat = {}
    for name, value in genotype.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{name}/"))
        else:
            flat[f"{prefix}{name}"] = value
    return flat


def _json_safe(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(item) for item in value]
    return value
