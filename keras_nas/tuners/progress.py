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

    A worker of a parallel search sees only its own trials, so its line starts with how many
    it has run, `[3 here]`, and has no estimate of the time left.

    Args:
        out: Where to print; standard output by default.
    """

    def __init__(self, out: TextIO | None = None):
        self.out = out
        self._search_start = self._trial_start = time.monotonic()
        self._ended_here = 0

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
        self._ended_here += 1
        # A worker's oracle is KerasTuner's client of the chief's, which has no `trials`.
        trials = getattr(oracle, "trials", None)
        done, total = (len(trials), oracle.max_trials) if trials is not None else (None, None)
        elapsed = now - self._search_start
        best = oracle.get_best_trials(1)
        best_score = f"{best[0].score:.4f}" if best else "-"
        trial = oracle.get_trial(trial.trial_id)  # Scored by the oracle, here or on the chief.
        score = f"{trial.score:.4f}" if trial.score is not None else trial.status.lower()
        count = f"[{done:>2}/{total}]" if done is not None else f"[{self._ended_here} here]"
        parts = [
            f"{count} trial {trial.trial_id}",
            f"{oracle.objective.name} {score}",
            f"best {best_score}",
            f"{now - self._trial_start:5.1f}s",
            f"elapsed {_clock(elapsed)}",
        ]
        if total and done:
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
