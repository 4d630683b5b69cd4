"""One line per finished trial: k of N, score, best so far, times and the architecture."""

from __future__ import annotations

import sys
import time
from typing import TextIO

import keras_tuner


class SearchProgress:
    """Prints a line when a trial ends, for a person following a search.

    Example line::

        [ 3/8] trial 2  val_accuracy 0.9861  best 0.9889  10.0s  elapsed 0:31  left ~0:52  ...

    Args:
        out: Where to print; standard output by default.
    """

    def __init__(self, out: TextIO | None = None):
        self.out = out
        self._search_start = self._trial_start = time.monotonic()

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
        done, total = len(oracle.trials), oracle.max_trials
        elapsed = now - self._search_start
        best = oracle.get_best_trials(1)
        best_score = f"{best[0].score:.4f}" if best else "-"
        score = f"{trial.score:.4f}" if trial.score is not None else trial.status.lower()
        parts = [
            f"[{done:>2}/{total}] trial {trial.trial_id}",
            f"{oracle.objective.name} {score}",
            f"best {best_score}",
            f"{now - self._trial_start:5.1f}s",
            f"elapsed {_clock(elapsed)}",
        ]
        if total:
            parts.append(f"left ~{_clock(elapsed / max(1, done) * max(0, total - done))}")
        if note:
            parts.append(note)
        describe = getattr(tuner.hypermodel, "describe", None)
        if describe is not None and trial.hyperparameters.values:
            parts.append(describe(trial.hyperparameters.values)["summary"])
        print("  ".join(parts), file=self.out or sys.stdout, flush=True)


def _clock(seconds: float) -> str:
    minutes, seconds = divmod(int(round(seconds)), 60)
    return f"{minutes}:{seconds:02d}"
