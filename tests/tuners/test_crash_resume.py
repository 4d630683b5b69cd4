"""A search killed with SIGKILL at several points and started again finishes with exactly
`max_trials` completed trials: none lost, none run twice, earlier scores unchanged."""

import json
import os
import pathlib
import random
import signal
import subprocess
import sys
import time

import pytest

from tests.tuners import crash_search

SCRIPT = pathlib.Path(crash_search.__file__)
TIMEOUT = 300


def _start(directory, strategy, kill_at=None):
    env = {key: value for key, value in os.environ.items() if key != "KILL_AT"}
    if kill_at:
        env["KILL_AT"] = kill_at
    return subprocess.Popen(
        [sys.executable, str(SCRIPT), str(directory), strategy],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(process):
    _, errors = process.communicate(timeout=TIMEOUT)
    return process.returncode, errors


def _ended(directory):
    path = directory / "crash" / "oracle.json"
    if not path.exists():
        return []
    try:
        return json.loads(path.read_text())["end_order"]
    except json.JSONDecodeError:  # Read while replaced: never torn, but may be empty here.
        return []


def _completed(directory):
    """Trial id -> (architecture, score) of the trials the saved search holds as completed."""
    completed = {}
    for trial_id in _ended(directory):
        record = json.loads((directory / "crash" / f"trial_{trial_id}" / "trial.json").read_text())
        if record["status"] == "COMPLETED":
            values = json.dumps(record["hyperparameters"]["values"], sort_keys=True)
            completed[trial_id] = (values, record["score"])
    return completed


def _kill_during_next_trial(process, directory, rng):
    """SIGKILLs `process` at a random moment after the next trial ends (during the one after)."""
    ended = len(_ended(directory))
    deadline = time.monotonic() + TIMEOUT
    while len(_ended(directory)) <= ended and process.poll() is None:
        assert time.monotonic() < deadline, "no trial ended in time"
        time.sleep(0.05)
    time.sleep(rng.uniform(0.0, 1.0))
    process.send_signal(signal.SIGKILL)


# Where each run is killed; every run resumes the search the runs before left.
KILLS = {
    "evolution": [
        # The run's 2nd trial (trial 1) has written its best weights; its end is not recorded.
        "best_weights:2",
        # After a reload, the 1st write of oracle.json is the end of the run's first trial:
        # its trial.json says COMPLETED, oracle.json does not hold that end yet.
        "oracle_json:1",
        "replace",  # A state file written to its temporary name, not renamed yet.
        None,  # A random moment during a trial.
    ],
    "reinforce": [
        # The end of trial 0: its trial.json says COMPLETED and the policy file holds its
        # update; oracle.json does not hold that end yet. (The other kills test what both
        # strategies share; evolution's runs take them.)
        "oracle_json:1",
    ],
}


def _trial_status(directory, trial_id):
    path = directory / "crash" / f"trial_{trial_id}" / "trial.json"
    return json.loads(path.read_text())["status"] if path.exists() else None


@pytest.mark.parametrize("strategy", sorted(KILLS))
def test_a_search_killed_again_and_again_loses_and_repeats_no_trial(tmp_path, strategy):
    rng = random.Random(strategy)
    history = {}
    for kill_at in KILLS[strategy]:
        if kill_at == "replace":
            kill_at = f"replace:{rng.randint(2, 9)}"
        process = _start(tmp_path, strategy, kill_at)
        if kill_at is None:
            _kill_during_next_trial(process, tmp_path, rng)
        status, errors = _finish(process)
        assert status == -signal.SIGKILL, f"{kill_at}: exited with {status}\n{errors}"
        completed = _completed(tmp_path)
        assert {key: completed.get(key) for key in history} == history, kill_at
        if kill_at == "best_weights:2":  # Trial 1 trained; it is not recorded as complete.
            assert (tmp_path / "crash" / "trial_1" / "best_weights.npz").exists()
            assert "1" not in _ended(tmp_path) and "1" not in completed
            assert _trial_status(tmp_path, "1") != "COMPLETED"
        history = completed
    status, errors = _finish(_start(tmp_path, strategy))
    assert status == 0, errors

    completed = _completed(tmp_path)
    assert len(completed) == crash_search.MAX_TRIALS
    assert sorted(completed) == [str(index) for index in range(crash_search.MAX_TRIALS)]
    architectures = [values for values, _ in completed.values()]
    assert len(set(architectures)) == crash_search.MAX_TRIALS
    assert {key: completed[key] for key in history} == history
    assert len(_ended(tmp_path)) == crash_search.MAX_TRIALS
    assert not list((tmp_path / "crash").glob("trial_*/shared_weights_pending"))
