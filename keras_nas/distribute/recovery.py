"""Lost workers: a trial whose worker went silent goes back to the queue and runs again.

In a parallel search (KerasTuner's chief/worker mode, `keras-nas launch`), a worker that has
sent nothing for `trial_timeout` seconds counts as gone. `LostWorkers` keeps, for the oracle
on the chief, when each tuner was last heard from, takes back the trials of silent ones, hands
them to the next tuner that asks, and recognises a late report of a trial taken back, so no
trial counts twice.
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING

import keras_tuner
from keras_tuner.engine.trial import TrialStatus

if TYPE_CHECKING:  # The oracle composes this class.
    from keras_nas.oracles.base import NASOracle


class LostWorkers:
    """The lost-worker bookkeeping of one oracle.

    Args:
        oracle: The oracle whose trials and tuners this watches; its `trial_timeout`
            (seconds, or `None` to never take a trial back) decides when a tuner is silent.
    """

    def __init__(self, oracle: NASOracle):
        self._oracle = oracle
        #: Trials taken back from silent workers, to run again (first in, first out); saved
        #: with the oracle's state.
        self.requeued: list[str] = []
        # Tuner id -> `time.monotonic()` of its last call; in memory only (a new process
        # gives every worker a full `trial_timeout` from its start).
        self._last_contact: dict[str, float] = {}
        self._started = time.monotonic()

    def heard_from(self, tuner_id: str) -> None:
        """Records a call from the tuner `tuner_id`: its sign of life."""
        self._last_contact[tuner_id] = time.monotonic()

    def heard_about(self, trial_id: str) -> None:
        """Records a call about `trial_id`: the sign of life of the tuner running it."""
        for tuner_id, trial in self._oracle.ongoing_trials.items():
            if trial.trial_id == trial_id:
                self._last_contact[tuner_id] = time.monotonic()

    def take_back_silent(self) -> list[str]:
        """Forgets the tuners silent for longer than `trial_timeout` and queues their trials
        to run again; nothing without a `trial_timeout`.

        Returns:
            The ids of the trials taken back.
        """
        oracle = self._oracle
        if oracle.trial_timeout is None:
            return []
        silent = [
            tuner for tuner in oracle.tuner_ids | set(oracle.ongoing_trials) if self._silent(tuner)
        ]
        taken = []
        for tuner_id in silent:
            oracle.tuner_ids.discard(tuner_id)
            trial = oracle.ongoing_trials.pop(tuner_id, None)
            if trial is not None:
                self.requeued.append(trial.trial_id)
                taken.append(trial.trial_id)
                print(
                    f"Worker {tuner_id} sent nothing for over {oracle.trial_timeout:g} s; trial "
                    f"{trial.trial_id} goes back to the queue.",
                    file=sys.stderr,
                    flush=True,
                )
        return taken

    def hand_over(self, tuner_id: str) -> keras_tuner.engine.trial.Trial:
        """Gives the first trial taken back to `tuner_id`, afresh: the metrics of the lost
        run are dropped. The caller saves the oracle."""
        oracle = self._oracle
        trial = oracle.trials[self.requeued.pop(0)]
        trial.status = TrialStatus.RUNNING
        trial.metrics = type(trial.metrics)()
        oracle.tuner_ids.add(tuner_id)
        oracle.ongoing_trials[tuner_id] = trial
        return trial

    def must_wait(self) -> bool:
        """Whether a tuner asking for a trial should wait: every trial is handed out, but a
        running one may still come back (there is a `trial_timeout`)."""
        oracle = self._oracle
        return (
            oracle.trial_timeout is not None
            and oracle.max_trials is not None
            and len(oracle.trials) >= oracle.max_trials
            and bool(oracle.ongoing_trials)
        )

    def superseded(self, trial_id: str) -> bool:
        """Whether reports on `trial_id` come from a worker it was taken back from: the
        trial waits to run again or has already ended."""
        oracle = self._oracle
        return trial_id in self.requeued or (
            trial_id in oracle.end_order and oracle.trials[trial_id].status != TrialStatus.RUNNING
        )

    def _silent(self, tuner_id: str) -> bool:
        last = self._last_contact.get(tuner_id, self._started)
        return time.monotonic() - last > self._oracle.trial_timeout
