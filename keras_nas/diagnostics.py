"""Search-space diagnostics: is it the space or the strategy that does the work?

Read from a finished (or running) search's files, with no TensorFlow, by `keras-nas report`
and `SearchTensorBoard`:

- **the distribution of trial scores** (`ScoreDistribution`): a narrow one means that the
  space holds few bad networks, so any strategy, random sampling included, does well in it;
- **each choice's marginal effect** (`MarginalEffect`): the mean score of the trials that
  took each value, and the share of the scores' variance between those means, less what as
  many groups explain by chance (epsilon squared, a one-way analysis of variance). Only
  trials that read the choice count (see `keras_nas.oracles.active`); a `Float` is left
  out. The trials are the ones the strategy chose, not a designed experiment: read the
  importance as a hint of which choices matter, strongest with a random control's trials;
- **edge-of-range warnings** (`EdgeWarning`): when at least two thirds of the best trials
  take the largest (or smallest) value of an ordered choice of at least 3 values (an
  `Int`, or a `Choice` of numbers), more often than the trials that read it do, and the
  trials at that value score higher on average than those at the next value by more than
  two standard errors, the best networks may lie beyond the range, and the space should be
  widened there;
- **the random control** (`ControlComparison`, with `baseline="random"`, see
  `keras_nas.oracles.random_control`): the strategy's best against random sampling's
  expected best in as many trials, and Yang et al. 2020's relative improvement.

Size: about 430 lines, one idea (what a search's scores say about its space): four findings,
each a dataclass and a few small functions, and their text and JSON forms, which the report
and TensorBoard share.

Example:
>>> trials = [ScoredTrial(str(i), 0.5 + 0.1 * depth, {"depth": depth})
...           for i, depth in enumerate([1, 2, 3] * 4)]
>>> space = [{"class_name": "Int", "config": {"name": "depth", "min_value": 1, "max_value": 3}}]
>>> found = diagnose(trials, space, "max")
>>> [round(found.effects[0].importance, 2), found.edges[0].value]
[1.0, 3]
>>> found.edges[0].message.split(": ")[0]
'The best trials sit at the edge of `depth`'
"""

from __future__ import annotations

import dataclasses
import math
import statistics
from collections.abc import Sequence
from typing import Any

#: The fewest scored trials `diagnose` says anything about.
MIN_TRIALS = 4
#: The fewest options of an ordered choice whose edges `diagnose` checks: with two, every
#: value is an edge.
MIN_EDGE_OPTIONS = 3
#: The share of the best trials at an edge from which `diagnose` warns.
EDGE_SHARE = 2 / 3
#: The best trials that `diagnose` looks at: this share of the scored trials, at least
#: `MIN_TOP` of them.
TOP_SHARE = 0.1
MIN_TOP = 3


@dataclasses.dataclass(frozen=True)
class ScoredTrial:
    """A completed trial as the diagnostics read it: its id, score and values."""

    trial_id: str
    score: float
    values: dict[str, Any]


@dataclasses.dataclass(frozen=True)
class ScoreDistribution:
    """The scores of the completed trials: count, mean, standard deviation and quartiles."""

    count: int
    mean: float
    std: float
    minimum: float
    lower_quartile: float
    median: float
    upper_quartile: float
    maximum: float


@dataclasses.dataclass(frozen=True)
class MarginalEffect:
    """One choice's effect on the score.

    Attributes:
        name: The hyperparameter.
        means: `{value: (mean score, trials)}` over the trials that read it, for each value
            they took, in order.
        importance: Epsilon squared: the share of those trials' score variance between the
            values' means, less `(k - 1)` times the variance within the `k` values, at
            least 0 (0: the value changes nothing beyond chance; 1: it explains every
            difference).
    """

    name: str
    means: dict[Any, tuple[float, int]]
    importance: float


@dataclasses.dataclass(frozen=True)
class EdgeWarning:
    """Most of the best trials take the largest (or smallest) value of an ordered choice."""

    name: str
    value: Any
    edge: str  # "largest" or "smallest"
    at_edge: int
    top: int
    message: str


@dataclasses.dataclass(frozen=True)
class ControlComparison:
    """The strategy against its random control (`compare_with_control`).

    Attributes:
        strategy_trials, strategy_best: The strategy's scored trials and their best score.
        control_trials, control_best: The control's.
        expected_random_best: Random sampling's expected best in `strategy_trials` trials,
            estimated from the control's scores (`expected_best`).
        relative_improvement: `100 * (strategy_best - expected_random_best) /
            |expected_random_best|`, turned for a `"min"` objective so that positive means
            the strategy did better (Yang et al. 2020's RI, in percent).
    """

    strategy_trials: int
    strategy_best: float
    control_trials: int
    control_best: float
    expected_random_best: float
    relative_improvement: float


@dataclasses.dataclass(frozen=True)
class SpaceDiagnostics:
    """What `diagnose` finds; `None` and empty where there are too few scored trials."""

    distribution: ScoreDistribution | None
    effects: list[MarginalEffect]
    edges: list[EdgeWarning]
    control: ControlComparison | None = None


def diagnose(
    trials: Sequence[ScoredTrial],
    space: Sequence[dict[str, Any]],
    direction: str,
    active: dict[str, Sequence[str]] | None = None,
    control: Sequence[str] = (),
    initial: Sequence[str] = (),
) -> SpaceDiagnostics:
    """The score distribution, marginal effects and edge warnings of a search.

    Args:
        trials: The completed trials; those with a finite score count.
        space: The search space in KerasTuner's config form, as `oracle.json` holds it
            (`SearchReport.space`, `HyperParameters.get_config()["space"]`): one
            `{"class_name", "config"}` per hyperparameter.
        direction: `"max"` if a higher score is better, `"min"` if lower is.
        active: Trial id -> the hyperparameters its build read
            (`SearchReport.active_hyperparameters`); a trial missing here counts for every
            hyperparameter it has a value of.
        control: The ids of the random control's trials (`SearchReport.baseline_trials`).
        initial: The ids of the initial architectures' trials (`SearchReport.initial_trials`),
            which the comparison with the control leaves out: the strategy did not find them.

    Returns:
        A `SpaceDiagnostics`, empty with fewer than `MIN_TRIALS` scored trials. Effects are
        sorted by importance, largest first.
    """
    scored = [trial for trial in trials if _finite(trial.score)]
    if len(scored) < MIN_TRIALS:
        return SpaceDiagnostics(None, [], [])
    active = active or {}
    effects, edges = [], []
    for hyperparameter in _by_name(space).values():
        name = hyperparameter["config"]["name"]
        if not _grouped(hyperparameter):
            continue
        reading = [
            row
            for row in scored
            if name in row.values and name in active.get(row.trial_id, row.values)
        ]
        effect = _effect(name, reading)
        if effect is not None:
            effects.append(effect)
        ends = _ends(hyperparameter)
        edge = _edge(name, ends, reading, direction) if ends is not None else None
        if edge is not None:
            edges.append(edge)
    effects.sort(key=lambda effect: -effect.importance)
    compared = compare_with_control(
        [trial.score for trial in scored if trial.trial_id not in {*control, *initial}],
        [trial.score for trial in scored if trial.trial_id in control],
        direction,
    )
    return SpaceDiagnostics(
        _distribution([trial.score for trial in scored]), effects, edges, compared
    )


def expected_best(scores: Sequence[float], draws: int, direction: str = "max") -> float:
    """The expected best of `draws` scores drawn at random, with replacement, from `scores`.

    With the scores sorted from worst to best, `s_1 ... s_n`, the best of the draws is `s_i`
    with probability `(i / n) ** draws - ((i - 1) / n) ** draws`. Drawn from a random
    control's scores, it estimates what random sampling reaches in `draws` trials (never
    above the control's best: it cannot draw networks the control did not meet).

    Example:
    >>> expected_best([0.5, 1.0], draws=1), expected_best([0.5, 1.0], draws=2)
    (0.75, 0.875)
    """
    ordered = sorted(scores, reverse=direction == "min")
    count = len(ordered)
    return float(
        sum(
            score * ((rank / count) ** draws - ((rank - 1) / count) ** draws)
            for rank, score in enumerate(ordered, 1)
        )
    )


def compare_with_control(
    strategy: Sequence[float], control: Sequence[float], direction: str
) -> ControlComparison | None:
    """The strategy's scores against its random control's (`ControlComparison`); `None`
    unless both have scores.

    Example:
    >>> found = compare_with_control([0.9, 0.95], [0.5, 1.0], "max")
    >>> found.expected_random_best, round(found.relative_improvement, 2)
    (0.875, 8.57)
    """
    if not strategy or not control:
        return None
    pick = max if direction == "max" else min
    expected = expected_best(control, len(strategy), direction)
    best = pick(strategy)
    gain = best - expected if direction == "max" else expected - best
    return ControlComparison(
        strategy_trials=len(strategy),
        strategy_best=best,
        control_trials=len(control),
        control_best=pick(control),
        expected_random_best=expected,
        relative_improvement=100 * gain / abs(expected) if expected else math.nan,
    )


def format_diagnostics(diagnostics: SpaceDiagnostics, effects: int = 5) -> list[str]:
    """The report's "Search space" section as lines: the score distribution, the `effects`
    most important choices with each value's mean score, then any edge warnings."""
    found = diagnostics.distribution
    if found is None:
        return []
    lines = [
        "Search space:",
        f"  Scores of {found.count} trials: mean {found.mean:.4f}, std {found.std:.4f}; "
        f"min {found.minimum:.4f}, quartiles {found.lower_quartile:.4f} / {found.median:.4f} / "
        f"{found.upper_quartile:.4f}, max {found.maximum:.4f}",
    ]
    if diagnostics.effects:
        lines.append("  Choices by importance (share of the score variance; mean score, trials):")
    for effect in diagnostics.effects[:effects]:
        means = ", ".join(
            f"{value}: {mean:.4f} ({count})" for value, (mean, count) in effect.means.items()
        )
        lines.append(f"    {effect.name}  {effect.importance:.2f}  {means}")
    compared = diagnostics.control
    if compared is not None:
        lines += [
            f"  Random control: {_trials(compared.control_trials)}, best "
            f"{compared.control_best:.4f}; the strategy: {_trials(compared.strategy_trials)}, "
            f"best {compared.strategy_best:.4f}",
            f"  Random sampling's expected best in {_trials(compared.strategy_trials)}: "
            f"{compared.expected_random_best:.4f}; relative improvement of the strategy: "
            f"{compared.relative_improvement:+.2f}%",
        ]
    lines += [f"  Warning: {edge.message}" for edge in diagnostics.edges]
    return lines


def diagnostics_json(diagnostics: SpaceDiagnostics) -> dict[str, Any]:
    """The diagnostics as JSON: `{"distribution", "effects", "edges", "control"}`; an
    effect's means as `[[value, mean, trials], ...]` (values are not always strings)."""
    found = diagnostics.distribution
    return {
        "distribution": None if found is None else dataclasses.asdict(found),
        "effects": [
            {
                "name": effect.name,
                "importance": effect.importance,
                "means": [[value, mean, count] for value, (mean, count) in effect.means.items()],
            }
            for effect in diagnostics.effects
        ],
        "edges": [dataclasses.asdict(edge) for edge in diagnostics.edges],
        "control": None if diagnostics.control is None else dataclasses.asdict(diagnostics.control),
    }


def _distribution(scores: list[float]) -> ScoreDistribution:
    ordered = sorted(scores)
    quartiles = (
        statistics.quantiles(ordered, n=4, method="inclusive")
        if len(ordered) > 1
        else [ordered[0]] * 3
    )
    return ScoreDistribution(
        count=len(ordered),
        mean=statistics.fmean(ordered),
        std=statistics.pstdev(ordered),
        minimum=ordered[0],
        lower_quartile=quartiles[0],
        median=quartiles[1],
        upper_quartile=quartiles[2],
        maximum=ordered[-1],
    )


def _effect(name: str, rows: list[ScoredTrial]) -> MarginalEffect | None:
    """The choice's mean score per value taken, and epsilon squared: the share of the score
    variance between the values' means, less what that many groups explain by chance
    (`(k - 1)` times the variance within them), at least 0."""
    groups: dict[Any, list[float]] = {}
    for row in rows:
        groups.setdefault(row.values[name], []).append(row.score)
    count, kinds = len(rows), len(groups)
    if kinds < 2 or count <= kinds:
        return None
    mean = statistics.fmean(row.score for row in rows)
    total = sum((row.score - mean) ** 2 for row in rows)
    between = sum(len(group) * (statistics.fmean(group) - mean) ** 2 for group in groups.values())
    within = (total - between) / (count - kinds)
    importance = max(0.0, (between - (kinds - 1) * within) / total) if total > 0 else 0.0
    return MarginalEffect(
        name=name,
        means={
            value: (statistics.fmean(groups[value]), len(groups[value]))
            for value in sorted(groups, key=_sort_key)
        },
        importance=importance,
    )


def _edge(
    name: str, ends: tuple[Any, Any], rows: list[ScoredTrial], direction: str
) -> EdgeWarning | None:
    """A warning when the best trials take an end of the range more than the trials that
    read the choice do (it is not merely the value sampled most), and the end's mean score
    beats the next value's by more than the noise (`_clearly_better`)."""
    sign = 1 if direction == "max" else -1
    best = sorted(rows, key=lambda row: -sign * row.score)
    top = best[: max(MIN_TOP, math.ceil(TOP_SHARE * len(rows)))]
    if len(top) < MIN_TOP:
        return None
    smallest, largest = ends
    taken = sorted({row.values[name] for row in rows})
    for value, edge, beyond in ((largest, "largest", "above"), (smallest, "smallest", "below")):
        at_edge = sum(row.values[name] == value for row in top)
        overall = sum(row.values[name] == value for row in rows)
        if at_edge < EDGE_SHARE * len(top) or at_edge / len(top) <= overall / len(rows):
            continue
        inner = [other for other in taken if other != value]
        if not inner:
            continue
        neighbour = inner[-1] if edge == "largest" else inner[0]
        scores = {
            option: [sign * row.score for row in rows if row.values[name] == option]
            for option in (value, neighbour)
        }
        if _clearly_better(scores[value], scores[neighbour]):
            message = (
                f"The best trials sit at the edge of `{name}`: {at_edge} of the {len(top)} best "
                f"take {value}, its {edge} value. The best networks may lie beyond it: widen "
                f"the range of `{name}` {beyond} {value}."
            )
            return EdgeWarning(name, value, edge, at_edge, len(top), message)
    return None


def _clearly_better(first: list[float], second: list[float]) -> bool:
    """Whether `first`'s mean beats `second`'s (higher is better) by more than two standard
    errors of the difference (Welch's), each with at least 2 scores."""
    if len(first) < 2 or len(second) < 2:
        return False
    error = math.sqrt(
        statistics.variance(first) / len(first) + statistics.variance(second) / len(second)
    )
    return statistics.fmean(first) - statistics.fmean(second) > 2 * error


def _by_name(space: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """One entry per name (a name registered under several conditions counts once)."""
    found: dict[str, dict[str, Any]] = {}
    for hyperparameter in space:
        found.setdefault(hyperparameter["config"]["name"], hyperparameter)
    return found


def _grouped(hyperparameter: dict[str, Any]) -> bool:
    """Whether trials are grouped by this choice's values: not a `Float`, nor a `Fixed`."""
    return hyperparameter["class_name"] in ("Choice", "Boolean", "Int")


def _ends(hyperparameter: dict[str, Any]) -> tuple[Any, Any] | None:
    """The smallest and largest value of an ordered choice of at least `MIN_EDGE_OPTIONS`
    values (an `Int` on a linear grid, a `Choice` of numbers); `None` for any other."""
    kind, config = hyperparameter["class_name"], hyperparameter["config"]
    if kind == "Choice" and config.get("ordered") and len(config["values"]) >= MIN_EDGE_OPTIONS:
        return min(config["values"]), max(config["values"])
    if kind == "Int" and config.get("sampling", "linear") in (None, "linear"):
        step = config.get("step") or 1
        low, high = config["min_value"], config["max_value"]
        if step > 0 and (high - low) // step + 1 >= MIN_EDGE_OPTIONS:
            return low, low + (high - low) // step * step
    return None


def _sort_key(value: Any) -> tuple:
    return (type(value).__name__, value) if not isinstance(value, (int, float)) else ("", value)


def _trials(count: int) -> str:
    return f"{count} trial{'' if count == 1 else 's'}"


def _finite(score: Any) -> bool:
    return isinstance(score, (int, float)) and math.isfinite(score)
