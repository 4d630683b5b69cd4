"""A search's time budget (`max_time`) and a trial's time limit (`max_trial_seconds`).

The oracle keeps the search's clock: the seconds spent in earlier runs of the search (saved
with its state and, with `max_time`, in `time.json` at every epoch, so a search killed and
resumed keeps counting them) plus the time since this run started. The time between a kill and the
restart, or between two `search` calls in one process (`pause`), is not counted.

- **Before a trial.** No new trial starts once the budget is spent, or when the time left is
  shorter than the trials so far took (their median, from the trials that ran all their
  epochs); the search then stops and says why (`stop_reason`). With no trial finished yet,
  the first one starts.
- **During a trial.** At each epoch a keras-nas tuner reports (`NASTuner`: its report
  carries the trial's `seconds`; a plain KerasTuner tuner reports only when a trial ends,
  so there the limits apply between trials), the oracle stops the trial when its time has reached
  `max_trial_seconds` or the budget is spent, or when one more epoch, as long as the last,
  would pass either. `NASTuner` also stops training within an epoch at that deadline
  (`deadline`), in a search in one process. A stopped trial keeps the epochs it ran and
  their metrics, with the reason in its message ("Stopped early at epoch 3 by max_time:
  ..."), as pruning records a trial; it is not a failure. Trials waiting to run again (a
  crash's, a lost worker's) when the search stops for time end as stopped.

Every trial's time and the search time at its end are recorded (`trial_seconds`,
`ended_at`), with or without limits: the report's anytime view reads them. The saved state
holds the time spent when the last trial ended; `time.json`, the time at the last epoch.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from typing import Any

from keras_nas.arguments import check_seconds
from keras_nas.files import read_json_state, write_json_atomically

#: The file, in the project directory, that holds the search time spent at the last epoch.
TIME_FILE = "time.json"


class TimeLimits:
    """The time spent by a search, its budget and its trials' limit.

    Example:
    >>> now = [100.0]
    >>> limits = TimeLimits(max_time=60, clock=lambda: now[0])
    >>> limits.start()
    >>> limits.trial_started("0"); now[0] += 25; limits.trial_ended("0", finished=True)
    >>> limits.spent(), limits.remaining()
    (25.0, 35.0)
    >>> limits.reason_not_to_start() is None  # 35 s left; the trials took 25 s.
    True
    >>> limits.trial_started("1"); now[0] += 20; limits.trial_ended("1", finished=True)
    >>> limits.reason_not_to_start()
    'the next trial would take about 22 s (the median of 2 trials), and 15 s of max_time=60 s are left'

    Args:
        max_time: The search's budget in seconds, or `None` for none.
        max_trial_seconds: Each trial's limit in seconds, or `None` for none.
        clock: Seconds from a fixed point (`time.monotonic`).

    Raises:
        ValueError: If a limit is neither a positive number nor `None`.
    """  # noqa: E501

    def __init__(
        self,
        max_time: float | None = None,
        max_trial_seconds: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.max_time = check_seconds("max_time", max_time)
        self.max_trial_seconds = check_seconds("max_trial_seconds", max_trial_seconds)
        self._clock = clock
        self._started: float | None = None
        self.spent_before = 0.0
        self._spent_at_last_end = 0.0  # What the state saves: it changes when a trial ends.
        #: Trial id -> its seconds, from its start to its end.
        self.trial_seconds: dict[str, float] = {}
        #: Trial id -> the search's seconds spent when it ended.
        self.ended_at: dict[str, float] = {}
        #: The ids of the trials a limit stopped.
        self.cut: list[str] = []
        #: Why the search stopped for time, or `None`.
        self.stop_reason: str | None = None
        #: Whether the first trial starts whatever the time left (a supernet search scores
        #: at least one sub-network after training its supernet).
        self.first_trial_always = False
        self._trial_start: dict[str, float] = {}
        self._last_report: dict[str, tuple[float, float]] = {}  # Id -> (time, epoch seconds).

    def set_limits(self, max_time: Any, max_trial_seconds: Any) -> None:
        """Sets both limits (checked), e.g. from `NASTuner.search`; a new budget lets a
        search stopped for time go on."""
        self.max_time = check_seconds("max_time", max_time)
        self.max_trial_seconds = check_seconds("max_trial_seconds", max_trial_seconds)
        self.stop_reason = None

    def start(self) -> None:
        """Starts this run's clock, once per process (later calls do nothing)."""
        if self._started is None:
            self._started = self._clock()

    def pause(self) -> None:
        """Stops this run's clock (a `search` call ended): the time until the next `start`
        is not counted."""
        self.spent_before = self.spent()
        self._started = None

    def spent(self) -> float:
        """The search's seconds so far, in this run and the runs before it."""
        running = 0.0 if self._started is None else self._clock() - self._started
        return self.spent_before + running

    def remaining(self) -> float | None:
        """The seconds of `max_time` left (negative once overrun), or `None` without one."""
        return None if self.max_time is None else self.max_time - self.spent()

    def reason_not_to_start(self) -> str | None:
        """Why no new trial should start (the budget is spent, or the time left is shorter
        than the trials so far took), or `None`."""
        left = self.remaining()
        if left is None or (self.first_trial_always and not self.ended_at):
            return None
        if left <= 0:
            return f"max_time={self.max_time:g} s is spent ({self.spent():.0f} s)"
        finished = [self.trial_seconds[i] for i in self.trial_seconds if i not in self.cut]
        if not finished:
            return None
        estimate = statistics.median(finished)
        if estimate <= left:
            return None
        return (
            f"the next trial would take about {estimate:.0f} s (the median of "
            f"{len(finished)} trials), and {left:.0f} s of max_time={self.max_time:g} s "
            "are left"
        )

    def trial_started(self, trial_id: str) -> None:
        """Starts the trial's clock (once: a tuner asking again gets the same trial)."""
        if trial_id in self._trial_start:
            return
        self.start()
        now = self._clock()
        self._trial_start[trial_id] = now
        self._last_report[trial_id] = (now, 0.0)

    def deadline(self, trial_id: str) -> float | None:
        """When (on `clock`) the trial must stop training, or `None` for never."""
        ends = []
        if self.max_trial_seconds is not None and trial_id in self._trial_start:
            ends.append(self._trial_start[trial_id] + self.max_trial_seconds)
        left = self.remaining()
        if left is not None:
            ends.append(self._clock() + left)
        return min(ends) if ends else None

    def reason_to_stop(self, trial_id: str) -> str | None:
        """At the end of an epoch: why the trial should stop now (`"max_time: ..."` or
        `"max_trial_seconds: ..."`), or `None`."""
        now = self._clock()
        last, _ = self._last_report.get(trial_id, (now, 0.0))
        epoch = now - last
        self._last_report[trial_id] = (now, epoch)
        limit, left = self.max_trial_seconds, self.remaining()
        if left is not None and left <= 0:
            return f"max_time: the search's {self.max_time:g} s are spent"
        if trial_id not in self._trial_start:
            return None  # Not started by this oracle (an older record): not timed.
        elapsed = now - self._trial_start[trial_id]
        if limit is not None and elapsed >= limit:
            return f"max_trial_seconds: it ran {elapsed:.0f} s, the limit is {limit:g} s"
        if limit is not None and elapsed + epoch > limit:
            return (
                f"max_trial_seconds: another epoch (about {epoch:.0f} s) would end after "
                f"{elapsed + epoch:.0f} s, past the limit of {limit:g} s"
            )
        if left is not None and epoch > left:
            return (
                f"max_time: another epoch (about {epoch:.0f} s) would not end within the "
                f"{left:.0f} s left of the search's {self.max_time:g} s"
            )
        return None

    def trial_ended(self, trial_id: str, *, finished: bool) -> None:
        """Records the trial's time and the search time at its end; `finished`: it ran all
        its epochs (its time is a fair estimate of the next trial's)."""
        start = self._trial_start.pop(trial_id, None)
        self._last_report.pop(trial_id, None)
        if start is not None:
            self.trial_seconds[trial_id] = self._clock() - start
        if not finished and trial_id not in self.cut:
            self.cut.append(trial_id)
        if finished and trial_id in self.cut:  # Run again after a failure, to the end.
            self.cut.remove(trial_id)
        self._spent_at_last_end = self.ended_at[trial_id] = self.spent()

    def get_state(self) -> dict[str, Any]:
        return {
            "max_time": self.max_time,
            "max_trial_seconds": self.max_trial_seconds,
            "spent_seconds": self._spent_at_last_end,
            "trial_seconds": dict(self.trial_seconds),
            "ended_at": dict(self.ended_at),
            "cut": list(self.cut),
            "stop_reason": self.stop_reason,
        }

    def set_state(self, state: dict[str, Any], directory: str | None = None) -> None:
        """Restores the record of a saved search (limits are the caller's); the time spent is
        the larger of the saved state's and `directory`'s `time.json`, written later."""
        spent = self._spent_at_last_end = float(state.get("spent_seconds", 0.0))
        if directory is not None and os.path.exists(os.path.join(directory, TIME_FILE)):
            saved = read_json_state(os.path.join(directory, TIME_FILE), "search time")
            spent = max(spent, float(saved.get("spent_seconds", 0.0)))
        self.spent_before = spent
        self._started = None
        self.trial_seconds = {k: float(v) for k, v in state.get("trial_seconds", {}).items()}
        self.ended_at = {k: float(v) for k, v in state.get("ended_at", {}).items()}
        self.cut = list(state.get("cut", []))
        self.stop_reason = None  # A resumed search may go on (with a larger budget).

    def write(self, directory: str) -> None:
        """Writes the time spent to `directory`'s `time.json`, atomically."""
        write_json_atomically(
            os.path.join(directory, TIME_FILE), {"spent_seconds": round(self.spent(), 3)}
        )
