"""Where a trial's time goes: building the candidate, training it, and the search around them
(TensorFlow-free, for `keras-nas report`).

`NASTuner` times each trial with a `TrialClock`, from the moment it asks the oracle for the
trial to the moment the trial's end is recorded, and records three metrics in the trial
(`trial.json`), which `keras-nas report` shows:

- `build_seconds`: clearing the previous Keras session, building and compiling the candidate;
- `fit_seconds`: `model.fit`, less the time the search's own callbacks spend in it
  (reporting each epoch to the oracle, which saves the trial);
- `bookkeeping_seconds`: everything else: asking the oracle for the trial (it proposes an
  architecture and saves its state), the epoch reports, writing the best weights and the
  architecture record, and freeing what the trial held. The save of the trial's end itself
  comes after the record is written, so it is not in it; `benchmarks/overhead.py` measures a
  whole search against a plain `model.fit` loop.

A trial's time is the sum of these three parts (`total_seconds`, `trial_seconds`): the one
figure that `keras-nas report`'s `seconds` column, the progress line and TensorBoard's
`cost/seconds` show. The `seconds` metric that the tuner reports at each epoch (the time since
the trial began, for a trial still running and for a cost objective) stands in for it only
where a trial has not recorded its parts: a trial still running, or one recorded before
keras-nas timed its parts.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Mapping
from typing import Any

#: The metric that holds each part of a trial's time, in seconds.
TIMING_METRICS = {
    "build": "build_seconds",
    "fit": "fit_seconds",
    "bookkeeping": "bookkeeping_seconds",
}


class TrialClock:
    """Adds up the time spent in each part of one trial; the rest is bookkeeping.

    Example:
    >>> clock = TrialClock()
    >>> with clock.part("build"):
    ...     pass
    >>> sorted(clock.seconds())
    ['bookkeeping', 'build', 'fit']
    >>> all(value >= 0 for value in clock.seconds().values())
    True
    """

    def __init__(self) -> None:
        self._start = time.perf_counter()
        self._parts = {"build": 0.0, "fit": 0.0}
        self._outside_fit = 0.0

    @contextlib.contextmanager
    def part(self, name: str) -> Iterator[None]:
        """Times the block as part `name` ("build" or "fit")."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self._parts[name] += time.perf_counter() - start

    @contextlib.contextmanager
    def bookkeeping(self) -> Iterator[None]:
        """Times a block inside `fit` that is the search's, not training (an epoch report)."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self._outside_fit += time.perf_counter() - start

    def seconds(self) -> dict[str, float]:
        """Seconds so far in each part: `build`, `fit` and `bookkeeping` (the rest)."""
        total = time.perf_counter() - self._start
        fit = max(self._parts["fit"] - self._outside_fit, 0.0)
        build = self._parts["build"]
        return {"build": build, "fit": fit, "bookkeeping": max(total - build - fit, 0.0)}

    def metrics(self) -> dict[str, float]:
        """`seconds()` under the metric names of `TIMING_METRICS`."""
        return {TIMING_METRICS[part]: value for part, value in self.seconds().items()}


def total_seconds(timing: Mapping[str, float] | None, seconds: float | None = None) -> float | None:
    """A trial's time: the sum of its recorded parts, else `seconds`.

    Example:
    >>> total_seconds({"build": 0.25, "fit": 19.25, "bookkeeping": 0.125}, seconds=18.5)
    19.625
    >>> total_seconds(None, seconds=18.5)
    18.5

    Args:
        timing: The trial's seconds in each part (`trial_timing`), or `None` where it has not
            recorded them.
        seconds: The trial's last `seconds` metric, or `None`.

    Returns:
        The seconds of the trial, or `None` without either.
    """
    return sum(timing.values()) if timing is not None else seconds


def trial_seconds(trial: Any) -> float | None:
    """The time of a KerasTuner `Trial`: `total_seconds` of its recorded metrics."""
    metrics = trial.metrics
    seconds = float(metrics.get_last_value("seconds")) if metrics.exists("seconds") else None
    return total_seconds(trial_timing(trial), seconds)


def trial_timing(trial: Any) -> dict[str, float] | None:
    """The recorded parts of a trial's time (`build`, `fit`, `bookkeeping`), or `None`.

    `trial` is a KerasTuner `Trial`; `None` for a trial recorded without them (one that
    has not ended, or was run by another tuner).
    """
    metrics = trial.metrics
    if not all(metrics.exists(name) for name in TIMING_METRICS.values()):
        return None
    return {part: float(metrics.get_last_value(name)) for part, name in TIMING_METRICS.items()}
