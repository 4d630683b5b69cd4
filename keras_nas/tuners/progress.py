"""One line per finished trial: k of N, score, best so far, times and the architecture.

The trial is named by its KerasTuner id, as in `keras-nas report`; its time is the one that
it recorded (`keras_nas.timing.trial_seconds`), which the report shows too.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

import keras_tuner

from keras_nas.timing import trial_seconds


class SearchProgress:
    """Prints a line when a trial ends, for a person following a search.

    Example line::

        [ 3/8] trial 2  val_accuracy 0.9861  best 0.9889  10.0s  elapsed 0:31  left ~0:52  ...

    `[ 3/8]` counts the search's trials so far, of `max_trials` (`[ 3]` without one);
    `elapsed` is the search's time (with a keras-nas oracle, over every run of a resumed
    search), and `left` the time the remaining trials would take at the pace so far, or the
    time left of `max_time` if that is shorter;
    `trial 2` is the trial's id; `10.0s` is its time as `keras-nas report` shows it
    (`keras_nas.timing.trial_seconds`: the sum of the parts it recorded), or, for a trial
    that recorded no time, the time since `trial_started`. A worker of a parallel search
    sees only its own trials, so its line starts with how many it has run, `[3 here]`, and
    has no estimate of the time left.

    Args:
        out: Where to print; standard output by default.
    """

    def __init__(self, out: TextIO | None = None):
        self.out = out
        self._search_start = self._trial_start = time.monotonic()
        self._ended_here = 0

    def say(self, text: str) -> None:
        """Prints a line about the search (why it stopped)."""
        print(text, file=self.out or sys.stdout, flush=True)

    def search_started(self) -> None:
        self._search_start = time.monotonic()

    def trial_started(self) -> None:
        self._trial_start = time.monotonic()

    def trial_ended(
        self,
        tuner: keras_tuner.Tuner,
        trial: keras_tuner.engine.trial.Trial,
        note: str | None = None,
    ) -> None:
        """Prints the line of a finished trial; `note` goes before the architecture."""
        oracle = tuner.oracle
        now = time.monotonic()
        seconds = trial_seconds(trial)  # The tuner's trial: the parts are recorded by now.
        if seconds is None:
            seconds = now - self._trial_start
        self._ended_here += 1
        # A worker's oracle is KerasTuner's client of the chief's, which has no `trials`.
        trials = getattr(oracle, "trials", None)
        done, total = (len(trials), oracle.max_trials) if trials is not None else (None, None)
        limits = getattr(oracle, "time_limits", None)  # A keras-nas oracle's, in this process.
        elapsed = now - self._search_start if limits is None else limits.spent()
        best = oracle.get_best_trials(1)
        best_score = f"{best[0].score:.4f}" if best else "-"
        trial = oracle.get_trial(trial.trial_id)  # Scored by the oracle, here or on the chief.
        score = f"{trial.score:.4f}" if trial.score is not None else trial.status.lower()
        if done is None:
            count = f"[{self._ended_here} here]"
        else:  # `max_trials=None`: no total to count to.
            count = f"[{done:>2}/{total}]" if total is not None else f"[{done:>2}]"
        parts = [
            f"{count} trial {trial.trial_id}",
            f"{oracle.objective.name} {score}",
            f"best {best_score}",
            f"{seconds:5.1f}s",
            f"elapsed {_clock(elapsed)}",
        ]
        left = elapsed / max(1, done) * max(0, total - done) if total and done else None
        remaining = None if limits is None else limits.remaining()
        if remaining is not None:  # The budget may end the search sooner.
            left = max(remaining, 0.0) if left is None else min(left, max(remaining, 0.0))
        if left is not None:
            parts.append(f"left ~{_clock(left)}")
        if note:
            parts.append(note)
        describe = getattr(tuner.hypermodel, "describe", None)
        if describe is not None and trial.hyperparameters.values:
            parts.append(describe(trial.hyperparameters.values)["summary"])
        print("  ".join(parts), file=self.out or sys.stdout, flush=True)


def _clock(seconds: float) -> str:
    minutes, seconds = divmod(int(round(seconds)), 60)
    return f"{minutes}:{seconds:02d}"
