"""An oracle's state on disk: `oracle.json` and each trial's `trial.json`, crash-safe.

Every file is written atomically (`keras_nas.files`), so a killed search leaves each file
either old or new, never torn. `oracle.json` is the commit point: a trial counts as created,
and as ended, once `oracle.json` says so; `StateFiles.read` undoes what a crash left half
done. Within a trial, KerasTuner's saves only mark what changed (`StateFiles.deferred`): the
oracle writes each trial's record, then `oracle.json`, once per trial.
"""

from __future__ import annotations

import contextlib
import glob
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import keras_tuner
from keras_tuner.engine.trial import TrialStatus

from keras_nas import compat
from keras_nas.files import TRIAL_FILE, StateFileError, read_json_state, write_json_atomically
from keras_nas.version import __version__

if TYPE_CHECKING:  # The oracle composes this class.
    from keras_nas.oracles.base import NASOracle

#: The layout of `oracle.json`; raised whenever a change makes older readers fail.
STATE_FORMAT = 1


class StateFiles:
    """Writes and reads an oracle's `oracle.json` and `trial.json` files.

    Args:
        oracle: The oracle whose state this writes; it calls `save_trial` from its
            `_save_trial` hook and `save`/`read` from `save`/`reload`.
    """

    def __init__(self, oracle: NASOracle):
        self._oracle = oracle
        self._deferring = False  # Inside `deferred`.
        self._unsaved_trials: set[str] = set()  # Trials changed since they were last written.

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        """Within the block, saves of `trial.json` and `oracle.json` only mark what changed;
        the next `save()` outside it writes them (trial records first)."""
        deferring, self._deferring = self._deferring, True
        try:
            yield
        finally:
            self._deferring = deferring

    def mark_changed(self, trial_id: str) -> None:
        """Makes the next `save()` write the trial's record."""
        self._unsaved_trials.add(trial_id)

    def save(self) -> None:
        """Writes the `trial.json` of every trial changed since the last save, then
        `oracle.json`; nothing inside `deferred`."""
        if self._deferring:
            return
        trials = self._oracle.trials
        for trial_id in sorted(self._unsaved_trials):
            if trial_id in trials:
                self.save_trial(trials[trial_id])
        self._unsaved_trials.clear()
        write_json_atomically(compat.oracle_file(self._oracle), self._oracle.get_state())

    def save_trial(self, trial: keras_tuner.engine.trial.Trial) -> None:
        """Writes the trial's `trial.json` (inside `deferred`, marks it to write later)."""
        if self._deferring:
            self._unsaved_trials.add(trial.trial_id)
            return
        self._unsaved_trials.discard(trial.trial_id)
        path = os.path.join(compat.trial_directory(self._oracle, trial.trial_id), TRIAL_FILE)
        write_json_atomically(path, trial.get_state())

    def read(self) -> dict[str, Any]:
        """Reads the search back into the oracle: its trials (those `oracle.json` lists as
        created) and its state (`set_state`).

        Returns:
            The state read from `oracle.json`.

        Raises:
            StateFileError: If `oracle.json` or a `trial.json` is corrupt or truncated, or
                was written by a newer keras-nas or by one whose state this version cannot
                read. The file is left as it is.
        """
        oracle = self._oracle
        path = compat.oracle_file(oracle)
        state = read_json_state(path, "oracle state")
        check_state_version(state, path)
        pattern = os.path.join(compat.project_directory(oracle), "trial_*", TRIAL_FILE)
        trials = {}
        for trial_path in sorted(glob.glob(pattern)):
            trial = keras_tuner.engine.trial.Trial.from_state(read_json_state(trial_path, "trial"))
            trials[trial.trial_id] = trial
        created = set(state.get("start_order", []))
        oracle.trials = {key: trial for key, trial in trials.items() if key in created}
        try:
            oracle.set_state(state)
        except KeyError as error:
            raise StateFileError(missing_key_message(state, path, error)) from None
        return state

    def take_interrupted(self) -> list[keras_tuner.engine.trial.Trial]:
        """The trials a crash interrupted, made new and saved so, to run again.

        A trial that was running, or had finished but whose end `oracle.json` does not hold
        yet, is interrupted. `Oracle.end_trial` saves before it drops the trial from
        `ongoing_trials`: a trial in `end_order` has ended, even if the crash left it listed
        as running. No trial runs after this: `ongoing_trials` is emptied.
        """
        oracle = self._oracle
        interrupted = [
            trial
            for trial in oracle.ongoing_trials.values()
            if trial.trial_id not in oracle.end_order
        ]
        oracle.ongoing_trials = {}
        for trial in interrupted:
            reset_trial(trial)
            self.save_trial(trial)
        return interrupted


def reset_trial(trial: keras_tuner.engine.trial.Trial) -> None:
    """Makes `trial` as new, to run again: no metrics, score or message of an earlier run."""
    trial.status = TrialStatus.RUNNING
    trial.metrics = type(trial.metrics)()
    trial.score = None
    trial.best_step = 0
    trial.message = None


def check_state_version(state: Any, path: str) -> None:
    """Refuses a state that is not a JSON object or that a newer keras-nas wrote.

    Raises:
        StateFileError: Saying what the file holds and how to go on.
    """
    if not isinstance(state, dict):
        raise StateFileError(
            f"The oracle state file {path!r} does not hold a search state (a JSON object); "
            f"it holds a {type(state).__name__}. keras-nas left it as it is. Restore it from "
            "a backup, move it away, or pass `overwrite=True` or another `project_name`."
        )
    written = state.get("keras_nas", {})
    if written.get("state_format", 0) > STATE_FORMAT:
        raise StateFileError(
            f"The search in {os.path.dirname(path)!r} was saved by keras-nas "
            f"{written.get('version')}, whose state format ({written.get('state_format')}) is "
            f"newer than this keras-nas {__version__} reads ({STATE_FORMAT}). Upgrade keras-nas "
            "(`pip install --upgrade keras-nas`) to resume it, or pass `overwrite=True` or "
            "another `project_name` to start a new search."
        )


def missing_key_message(state: dict[str, Any], path: str, error: KeyError) -> str:
    """Why a state without a key that this version needs cannot be resumed."""
    version = state.get("keras_nas", {}).get("version")
    writer = f"keras-nas {version}" if version else "a keras-nas that did not record its version"
    return (
        f"The oracle state file {path!r} was written by {writer} (or by KerasTuner alone) "
        f"and lacks {error}, which this keras-nas {__version__} needs. keras-nas left "
        "it as it is. Resume the search with the keras-nas that started it, or pass "
        "`overwrite=True` or another `project_name` to start a new search."
    )
