"""`max_time` and `max_trial_seconds` on a keras-nas oracle, on a clock the test moves."""

import json

import pytest
from keras_tuner.engine.trial import TrialStatus

from keras_nas.oracles import RegularizedEvolutionOracle
from keras_nas.oracles.time_limits import TIME_FILE, TimeLimits
from tests.messages import assert_mentions, raises_mentioning
from tests.oracles.toy import make_oracle


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def _oracle(tmp_path, name="timed", clock=None, **limits):
    oracle = make_oracle(
        tmp_path, name, RegularizedEvolutionOracle, seed=0, max_trials=20,
        population_size=3, sample_size=2,
    )  # fmt: skip
    oracle.time_limits = TimeLimits(**limits, clock=clock or Clock())
    return oracle


def _trial(oracle, clock, epochs, seconds_per_epoch):
    """Runs a trial of `epochs` epochs, each `seconds_per_epoch` on `clock`, until the
    oracle stops it; returns the trial as saved and the epochs run."""
    trial = oracle.create_trial("tuner0")
    assert trial.status == TrialStatus.RUNNING
    ran = 0
    for epoch in range(epochs):
        clock.now += seconds_per_epoch
        ran += 1
        # As a keras-nas tuner reports an epoch: with the trial's seconds so far.
        metrics = {"score": 0.5, "seconds": ran * seconds_per_epoch}
        if oracle.update_trial(trial.trial_id, metrics, step=epoch).status == "STOPPED":
            break
    trial.status = TrialStatus.COMPLETED
    oracle.end_trial(trial)
    return oracle.trials[trial.trial_id], ran


def test_no_trial_starts_that_the_time_left_cannot_finish(tmp_path, capsys):
    clock = Clock()
    oracle = _oracle(tmp_path, clock=clock, max_time=100)
    for _ in range(3):  # 3 trials of 30 s: 90 s spent, 10 s left.
        _trial(oracle, clock, epochs=3, seconds_per_epoch=10)
    stopped = oracle.create_trial("tuner0")
    assert stopped.status == TrialStatus.STOPPED
    assert len(oracle.trials) == 3 and oracle.remaining_trials() == 0
    assert "tuner0" not in oracle.tuner_ids  # A chief would not wait for it.
    assert_mentions(
        capsys.readouterr().out,
        "The search stopped: the next trial would take about 30 s",
        "median of 3 trials",
        "10 s of max_time=100 s are left",
    )
    assert list(oracle.time_limits.ended_at.values()) == [30.0, 60.0, 90.0]


def test_a_budget_spent_before_the_first_trial_runs_none_and_says_why(tmp_path, capsys):
    clock = Clock()
    oracle = _oracle(tmp_path, clock=clock, max_time=5)
    oracle.time_limits.start()
    clock.now += 6  # Checks before the search, say.
    assert oracle.create_trial("tuner0").status == TrialStatus.STOPPED
    assert not oracle.trials
    assert_mentions(capsys.readouterr().out, "The search stopped: max_time=5 s is spent (6 s)")


def test_the_trial_that_would_pass_the_budget_stops_after_the_epoch_that_fits(tmp_path):
    clock = Clock()
    oracle = _oracle(tmp_path, clock=clock, max_time=45)
    trial, ran = _trial(oracle, clock, epochs=10, seconds_per_epoch=10)
    # After 4 epochs, 40 s: a fifth would end at 50 s, past 45 s.
    assert ran == 4 and trial.status == TrialStatus.COMPLETED
    assert_mentions(
        trial.message, "Stopped early at epoch 4 by max_time", "another epoch (about 10 s)"
    )
    assert trial.metrics.get_history("score")[-1].step == 3  # Its epochs' metrics are kept.
    assert oracle.time_limits.spent() <= 45
    # A trial cut short is no estimate of the next: the next starts, and stops at once.
    assert oracle.time_limits.cut == [trial.trial_id]


def test_a_trial_over_max_trial_seconds_is_stopped_with_its_reason_and_metrics(tmp_path):
    clock = Clock()
    oracle = _oracle(tmp_path, clock=clock, max_trial_seconds=25)
    trial, ran = _trial(oracle, clock, epochs=10, seconds_per_epoch=10)
    assert ran == 2  # 20 s; a third epoch would end at 30 s.
    assert_mentions(trial.message, "Stopped early at epoch 2 by max_trial_seconds", "25 s")
    assert trial.score == 0.5 and trial.status == TrialStatus.COMPLETED
    slow, ran = _trial(oracle, clock, epochs=10, seconds_per_epoch=40)  # Over in one epoch.
    assert ran == 1
    assert_mentions(slow.message, "by max_trial_seconds: it ran 40 s, the limit is 25 s")
    assert oracle.create_trial("tuner0").status == TrialStatus.RUNNING  # The search goes on.


def test_a_resumed_search_keeps_counting_the_time_spent(tmp_path):
    clock = Clock()
    oracle = _oracle(tmp_path, clock=clock, max_time=100)
    _trial(oracle, clock, epochs=2, seconds_per_epoch=10)  # 20 s, saved with the trial.
    killed = oracle.create_trial("tuner0")  # Killed after two epochs: 20 s more.
    for epoch in range(2):
        clock.now += 10
        oracle.update_trial(
            killed.trial_id, {"score": 0.5, "seconds": 10.0 * (epoch + 1)}, step=epoch
        )
    assert json.loads((tmp_path / "timed" / TIME_FILE).read_text()) == {"spent_seconds": 40.0}

    resumed = _oracle(tmp_path, clock=Clock(), max_time=100)
    resumed.reload()
    assert resumed.time_limits.spent() == 40.0
    assert resumed.time_limits.remaining() == 60.0
    assert list(resumed.time_limits.ended_at.values()) == [20.0]


@pytest.mark.parametrize("name", ["max_time", "max_trial_seconds"])
@pytest.mark.parametrize("bad", [0, -5, "60", True, float("nan")])
def test_bad_limits_are_refused(tmp_path, name, bad):
    with raises_mentioning(ValueError, f"`{name}` must be a positive number of seconds"):
        make_oracle(tmp_path, "bad", RegularizedEvolutionOracle, **{name: bad})


def test_a_report_without_seconds_is_no_epoch_and_stops_nothing(tmp_path):
    # A plain KerasTuner tuner reports once, when the trial has ended; KerasTuner's tuners
    # also report the best epoch again then. Neither is judged: training is over.
    clock = Clock()
    oracle = _oracle(tmp_path, clock=clock, max_time=10, max_trial_seconds=5)
    trial = oracle.create_trial("tuner0")
    clock.now += 30
    assert oracle.update_trial(trial.trial_id, {"score": 0.5}, step=0).status == "RUNNING"
    trial.status = TrialStatus.COMPLETED
    oracle.end_trial(trial)
    assert oracle.trials[trial.trial_id].message is None
    assert oracle.create_trial("tuner0").status == TrialStatus.STOPPED  # Between trials.


def test_trials_waiting_to_run_again_end_as_stopped_when_time_is_up(tmp_path, capsys):
    clock = Clock()
    oracle = _oracle(tmp_path, clock=clock, max_time=100)
    interrupted = oracle.create_trial("tuner1")  # A worker's, killed with the search.
    _trial(oracle, clock, epochs=1, seconds_per_epoch=10)  # Saves the search, with it.
    resumed = _oracle(tmp_path, clock=clock, max_time=5)  # Less than the 10 s spent.
    resumed.reload()
    assert resumed.create_trial("tuner0").status == TrialStatus.STOPPED
    again = resumed.trials[interrupted.trial_id]
    assert again.status == TrialStatus.STOPPED
    assert_mentions(again.message, "Not run again: max_time=5 s is spent")
    assert resumed.search_finished()  # A chief would stop serving.


def test_the_time_between_two_searches_in_one_process_is_not_spent():
    clock = Clock()
    limits = TimeLimits(max_time=100, clock=clock)
    limits.start()
    clock.now += 30
    limits.pause()  # One `search` call ended.
    clock.now += 3600
    limits.start()  # The next began.
    clock.now += 5
    assert limits.spent() == 35.0
