"""Reports of a search: a table of its trials, its best architecture and plots.

`keras_nas.project.load_report` reads a project folder (JSON files only, no TensorFlow) into a
`SearchReport`; this module formats it (`format_report`, `report_json`) and writes its plots
(`write_report`, drawing in `keras_nas.plots`). The file formats are in ARCHITECTURE.md.

One numbering: a trial is named by its KerasTuner trial id (`"0"`, `"1"`, ... for
KerasTuner's oracles), in the table, the JSON report, on the x axis of `progress.png`, in
TensorBoard's `search` run (its step) and on the progress line of a search. Where ids are not
all whole numbers, `progress.png` numbers the trials 0, 1, ... in the order they started.

`write_report` draws `progress.png` (score by trial id and best so far), `pareto.png` (for two
or more objectives in `search.json`: the first two, each trial's best value of each) and
`architecture.png` (the best trial's graph, when its `architecture.json` has one).

Size: about 500 lines, one idea (rendering one `SearchReport` as a table, JSON and
figures); the column and line helpers are small and serve that rendering only.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Sequence
from typing import Any

from keras_nas.anytime import AnytimeView, anytime_json, anytime_view, format_anytime
from keras_nas.diagnostics import (
    ScoredTrial,
    SpaceDiagnostics,
    diagnose,
    diagnostics_json,
    format_diagnostics,
)
from keras_nas.estimation.zero_cost_filter import rank_correlation
from keras_nas.files import atomic_file
from keras_nas.messages import failure_reason
from keras_nas.project import Objective, SearchReport, TrialRow, load_report
from keras_nas.timing import TIMING_METRICS

__all__ = [
    "COLUMNS",
    "Objective",
    "SearchReport",
    "TrialRow",
    "format_report",
    "format_table",
    "load_report",
    "report_json",
    "write_report",
]


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
    after the score, and one per zero-cost proxy that scored trials, each followed by a line
    with its rank correlation with the score); missing values are "-", and architectures are cut to
    `ARCHITECTURE_WIDTH` characters. Failed trials are listed with the last line of their
    error. The search's time follows (`keras_nas.anytime`: the best score at each quarter
    of it, when the final best was first reached, the limits and why it stopped), then a
    "Search space" section (`keras_nas.diagnostics`: the scores'
    distribution, the most important choices, edge-of-range warnings). The best
    architecture follows in full: its summary and genotype, as
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
    proxies = sorted({proxy for row in report.rows for proxy in row.zero_cost})
    columns = [*COLUMNS[:3], *extra, *[f"zero_cost/{p}" for p in proxies], *COLUMNS[3:]]
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
            **{f"zero_cost/{proxy}": row.zero_cost.get(proxy) for proxy in proxies},
        }
        for row in report.rows
    ]
    lines.append(format_table(rows, columns) if rows else "No trials yet.")
    lines += [_proxy_line(report, proxy) for proxy in proxies]
    failed = [row for row in report.rows if row.status == "failed"]
    if failed:
        lines += ["", "Failed trials:"]
        lines += [f"  {row.trial_id}: {_reason(row.message)}" for row in failed]
    lines.append("")
    anytime = format_anytime(time_view(report), report.score_name)
    if anytime:
        lines += [*anytime, ""]
    space = format_diagnostics(space_diagnostics(report))
    if space:
        lines += [*space, ""]
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
    if report.transfer is not None:
        lines += ["", *_transfer_lines(report)]
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
        "skipped", "transfer", "space", "time", "plots"}` (`transfer`: the content of
        `transfer.json`, or `None`; `space`: the search-space diagnostics,
        `keras_nas.diagnostics.diagnostics_json`; `time`: the anytime view,
        `keras_nas.anytime`, or `None`); each trial has the table's fields
        (`architecture` in full), `objectives`, `values`, `message` and `zero_cost`
        ({proxy: score}).
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
                    "zero_cost": row.zero_cost,
                }
                for row in report.rows
            ],
            "skipped": report.skipped,
            "transfer": report.transfer,
            "space": diagnostics_json(space_diagnostics(report)),
            "time": anytime_json(time_view(report)),
            "plots": list(plots),
        }
    )


def time_view(report: SearchReport) -> AnytimeView | None:
    """The search's anytime view (`keras_nas.anytime`), or `None` without a time record."""
    scores = [(row.trial_id, row.score if row.completed else None) for row in report.rows]
    return anytime_view(report.time, scores, report.direction)


def space_diagnostics(report: SearchReport) -> SpaceDiagnostics:
    """The search-space diagnostics of `report`'s completed trials (`diagnose`)."""
    trials = [
        ScoredTrial(row.trial_id, row.score, row.values)
        for row in report.rows
        if row.completed and row.score is not None
    ]
    return diagnose(
        trials,
        report.space,
        report.direction,
        report.active_hyperparameters,
        control=report.baseline_trials,
        initial=report.initial_trials,
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


# ------------------------------------------------------------------------------- rendering
def _headline(report: SearchReport) -> list[str]:
    search = report.search or {}
    lines = [f"Search: {report.directory}"]
    what = " over ".join(str(search[key]) for key in ("oracle", "space") if search.get(key))
    if search.get("keras_nas_version"):
        what += f"{', ' if what else ''}keras-nas {search['keras_nas_version']}"
    if what:
        lines.append(what)
    proxy_task = (search.get("estimation") or {}).get("ProxyTask")
    if isinstance(proxy_task, dict):
        given = ", ".join(f"{k}={v}" for k, v in proxy_task.items() if v and k != "seed")
        lines.append(f"Trials trained on a proxy task: {given}")
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


def _proxy_line(report: SearchReport, proxy: str) -> str:
    """How well a zero-cost proxy ranked the completed trials (Spearman, with the score)."""
    pairs = [
        (row.zero_cost[proxy], row.score)
        for row in report.rows
        if row.completed and row.score is not None and proxy in row.zero_cost
    ]
    results = [score if report.direction == "max" else -score for _, score in pairs]
    correlation = rank_correlation([proxy_score for proxy_score, _ in pairs], results)
    shown = "-" if correlation is None else f"{correlation:.2f}"
    return (
        f"Zero-cost proxy {proxy}: rank correlation {shown} with the score over "
        f"{len(pairs)} completed trials (Spearman; 1 ranks them exactly as training did)."
    )


def _transfer_lines(report: SearchReport) -> list[str]:
    """The architectures trained on the full setting (`NASTuner.transfer`), with both scores
    and how well the proxy task ranked them."""
    items = report.transfer["architectures"]
    name = report.transfer.get("settings", {}).get("objective", report.score_name)
    pairs = [
        (item["proxy_score"], item["full_score"])
        for item in items
        if item.get("proxy_score") is not None and item.get("full_score") is not None
    ]
    correlation = rank_correlation([p for p, _ in pairs], [f for _, f in pairs])
    shown = "-" if correlation is None else f"{correlation:.2f}"
    rows = [
        {
            "trial": item.get("trial_id"),
            "proxy": item.get("proxy_score"),
            "full": item.get("full_score"),
            "seconds": None if item.get("seconds") is None else f"{item['seconds']:.1f}",
            "architecture": _truncate(str(item.get("summary", "")), ARCHITECTURE_WIDTH)
            if item.get("full_score") is not None
            else f"failed: {item.get('message')}",
        }
        for item in items
    ]
    return [
        f"Transfer to the full setting ({name}): rank correlation {shown} between the proxy "
        f"and full scores over {len(pairs)} architectures (Spearman).",
        format_table(rows, ["trial", "proxy", "full", "seconds", "architecture"]),
    ]


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
