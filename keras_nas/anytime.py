"""The anytime view of a search: the best score found against the search's time and trials,
its time budget, and why it stopped (TensorFlow-free, for `keras-nas report`).

A keras-nas oracle records, for every trial, the search's seconds spent when it ended
(`keras_nas.oracles.time_limits`); `anytime_view` turns them and the trials' scores into the
best score so far after each trial, the best at each quarter of the search's time, and when
the final best was first reached: often long before the search ended.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any


@dataclasses.dataclass(frozen=True)
class BestSoFar:
    """The best score after a trial ended: at `seconds` of search time, after `trials`."""

    seconds: float
    trials: int
    trial_id: str
    score: float


@dataclasses.dataclass(frozen=True)
class AnytimeView:
    """The search's time and the best score against it.

    Attributes:
        spent: The search's seconds when its last trial ended.
        max_time: Its budget in seconds, or `None`.
        max_trial_seconds: Each trial's limit, or `None`.
        stop_reason: Why it stopped for time, or `None`.
        curve: The best so far after every trial that improved it, in order.
        quarters: `(seconds, best)` at each quarter of `spent`; `best` is `None` before
            the first scored trial.
        trials: The trials with a score and an end time.
    """

    spent: float
    max_time: float | None
    max_trial_seconds: float | None
    stop_reason: str | None
    curve: list[BestSoFar]
    quarters: list[tuple[float, float | None]]
    trials: int

    @property
    def final_best(self) -> BestSoFar | None:
        """When the final best was first reached, or `None` without a scored trial."""
        return self.curve[-1] if self.curve else None


def anytime_view(
    time_state: dict[str, Any], scores: Sequence[tuple[str, float | None]], direction: str
) -> AnytimeView | None:
    """The anytime view of a search from its oracle's `time` state and its trials' scores
    (`(trial id, score)`; `None` for a trial without one), or `None` when no trial's end
    time was recorded.

    Example:
    >>> state = {"ended_at": {"0": 10.0, "1": 25.0, "2": 40.0}, "max_time": 40.0}
    >>> view = anytime_view(state, [("0", 0.5), ("1", 0.9), ("2", 0.7)], "max")
    >>> view.final_best
    BestSoFar(seconds=25.0, trials=2, trial_id='1', score=0.9)
    >>> view.quarters
    [(10.0, 0.5), (20.0, 0.5), (30.0, 0.9), (40.0, 0.9)]
    """
    ended_at = time_state.get("ended_at") if isinstance(time_state, dict) else None
    if not isinstance(ended_at, dict) or not ended_at:
        return None
    timed = sorted(
        (float(ended_at[trial_id]), trial_id, score)
        for trial_id, score in scores
        if trial_id in ended_at and isinstance(ended_at[trial_id], (int, float))
    )
    sign = 1 if direction == "max" else -1
    curve: list[BestSoFar] = []
    for count, (seconds, trial_id, score) in enumerate(timed, start=1):
        if score is not None and (not curve or sign * score > sign * curve[-1].score):
            curve.append(BestSoFar(seconds, count, trial_id, float(score)))
    spent = max(float(value) for value in ended_at.values())
    quarters = [(spent * q / 4, _best_at(curve, spent * q / 4)) for q in range(1, 5)]
    return AnytimeView(
        spent=spent,
        max_time=_seconds(time_state.get("max_time")),
        max_trial_seconds=_seconds(time_state.get("max_trial_seconds")),
        stop_reason=time_state.get("stop_reason"),
        curve=curve,
        quarters=quarters,
        trials=len(timed),
    )


def format_anytime(view: AnytimeView | None, score_name: str) -> list[str]:
    """The report's lines for `view` (none for `None`).

    Example:
    >>> view = anytime_view({"ended_at": {"0": 10.0, "1": 25.0}}, [("0", 0.5), ("1", 0.9)],
    ...                     "max")
    >>> print("\\n".join(format_anytime(view, "val_accuracy")))
    Search time: 25 s
    Best val_accuracy at each quarter of it: - (6 s), 0.5000 (12 s), 0.5000 (19 s), 0.9000 (25 s)
    The final best, 0.9000 (trial 1), was first reached at 25 s (100% of the time), after 2 of 2 trials.
    """  # noqa: E501
    if view is None:
        return []
    budget = []
    if view.max_time is not None:
        budget.append(f"max_time {view.max_time:g} s")
    if view.max_trial_seconds is not None:
        budget.append(f"max_trial_seconds {view.max_trial_seconds:g} s")
    lines = [f"Search time: {view.spent:.0f} s" + (f" ({', '.join(budget)})" if budget else "")]
    if view.stop_reason:
        lines.append(f"Stopped for time: {view.stop_reason}.")
    quarters = ", ".join(
        f"{'-' if best is None else f'{best:.4f}'} ({seconds:.0f} s)"
        for seconds, best in view.quarters
    )
    lines.append(f"Best {score_name} at each quarter of it: {quarters}")
    best = view.final_best
    if best is not None:
        share = 100 * best.seconds / view.spent if view.spent else 100.0
        lines.append(
            f"The final best, {best.score:.4f} (trial {best.trial_id}), was first reached at "
            f"{best.seconds:.0f} s ({share:.0f}% of the time), after {best.trials} of "
            f"{view.trials} trials."
        )
    return lines


def anytime_json(view: AnytimeView | None) -> dict[str, Any] | None:
    """`view` as JSON values (`keras-nas report --json`'s `time`)."""
    return None if view is None else dataclasses.asdict(view)


def _best_at(curve: list[BestSoFar], seconds: float) -> float | None:
    reached = [point.score for point in curve if point.seconds <= seconds]
    return reached[-1] if reached else None


def _seconds(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
