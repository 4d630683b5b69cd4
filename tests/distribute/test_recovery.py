"""`NASOracle` serving several workers: trials of silent workers taken back, waiting workers,
late results ignored, and when a chief may stop. No tuner, no training: the workers are
tuner ids and the clock is moved by hand."""

import pytest
from keras_tuner.engine.trial import TrialStatus

from keras_nas.distribute import recovery
from keras_nas.oracles import RegularizedEvolutionOracle, ReinforceOracle
from tests.messages import assert_mentions, raises_mentioning
from tests.oracles.toy import finish, make_oracle


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(recovery.time, "monotonic", clock)
    return clock


def _oracle(tmp_path, clock, oracle_class=RegularizedEvolutionOracle, **kwargs):
    kwargs.setdefault("trial_timeout", 60)
    return make_oracle(tmp_path, "parallel", oracle_class, max_trials=3, seed=0, **kwargs)


def test_a_silent_workers_trial_goes_to_the_next_worker_that_asks(tmp_path, clock, capsys):
    oracle = _oracle(tmp_path, clock)
    first = oracle.create_trial("tuner0")
    lost = oracle.create_trial("tuner1")
    clock.now += 30
    finish(oracle, first, 1.0)  # tuner0 reports; tuner1 stays silent.
    clock.now += 31  # tuner1: 61 s of silence; tuner0: 31 s.

    again = oracle.create_trial("tuner0")

    assert again.trial_id == lost.trial_id
    assert again.status == TrialStatus.RUNNING
    assert again.hyperparameters.values == lost.hyperparameters.values
    assert oracle.ongoing_trials == {"tuner0": again}
    assert "tuner1" not in oracle.tuner_ids
    assert_mentions(
        capsys.readouterr().err, "tuner1", "60 s", f"trial {lost.trial_id}", "back to the queue"
    )


def test_the_search_completes_max_trials_once_each_after_a_worker_vanishes(tmp_path, clock):
    oracle = _oracle(tmp_path, clock)
    first = oracle.create_trial("tuner0")
    oracle.create_trial("tuner1")  # tuner1 vanishes with this trial.
    finish(oracle, first, 1.0)
    clock.now += 61
    ran = []
    while True:
        trial = oracle.create_trial("tuner0")
        if trial.status == TrialStatus.STOPPED:
            break
        ran.append(trial.trial_id)
        finish(oracle, trial, 2.0)

    assert ran == ["1", "2"]
    assert sorted(oracle.end_order) == ["0", "1", "2"]
    assert [oracle.trials[t].status for t in sorted(oracle.trials)] == ["COMPLETED"] * 3
    assert oracle.search_finished()


def test_any_call_about_a_trial_keeps_its_worker_alive(tmp_path, clock):
    oracle = _oracle(tmp_path, clock)
    running = oracle.create_trial("tuner1")
    clock.now += 50
    oracle.get_trial(running.trial_id)  # A worker's heartbeat.
    clock.now += 50

    assert oracle.reclaim_silent_trials() == []
    clock.now += 11
    assert oracle.reclaim_silent_trials() == [running.trial_id]


def test_a_worker_waits_while_a_running_trial_may_come_back(tmp_path, clock):
    oracle = _oracle(tmp_path, clock)
    trials = [oracle.create_trial(f"tuner{i}") for i in range(3)]
    finish(oracle, trials[0], 1.0)

    waiting = oracle.create_trial("tuner0")

    assert waiting.status == TrialStatus.IDLE
    assert "tuner0" in oracle.tuner_ids
    assert not oracle.search_finished()
    finish(oracle, trials[1], 1.0)
    finish(oracle, trials[2], 1.0)
    assert oracle.create_trial("tuner0").status == TrialStatus.STOPPED
    assert not oracle.search_finished()  # tuner1 and tuner2 have not been told to stop.
    assert oracle.create_trial("tuner1").status == TrialStatus.STOPPED
    clock.now += 61  # tuner2 never asks again: it is not waited for.
    assert oracle.search_finished()


def test_without_a_timeout_workers_stop_as_in_keras_tuner(tmp_path, clock):
    oracle = _oracle(tmp_path, clock, trial_timeout=None)
    trials = [oracle.create_trial(f"tuner{i}") for i in range(3)]
    finish(oracle, trials[0], 1.0)
    clock.now += 10_000

    assert oracle.create_trial("tuner0").status == TrialStatus.STOPPED
    assert oracle.reclaim_silent_trials() == []
    assert set(oracle.ongoing_trials) == {"tuner1", "tuner2"}


def test_late_reports_of_a_trial_taken_back_are_ignored(tmp_path, clock, capsys):
    oracle = _oracle(tmp_path, clock)
    first = oracle.create_trial("tuner0")
    slow = oracle.create_trial("tuner1")
    finish(oracle, first, 1.0)
    clock.now += 61
    assert oracle.reclaim_silent_trials() == [slow.trial_id]

    # The slow worker is told to stop, and its metrics are not recorded.
    reply = oracle.update_trial(slow.trial_id, {"score": 9.0})
    assert reply.status == TrialStatus.STOPPED
    assert not oracle.trials[slow.trial_id].metrics.exists("score")
    late = oracle.trials[slow.trial_id]
    late.status = TrialStatus.COMPLETED
    oracle.end_trial(late)
    assert slow.trial_id not in oracle.end_order
    assert "Ignored a late result of trial 1" in capsys.readouterr().err

    # It runs again on tuner0; a second end of the same trial changes nothing.
    again = oracle.create_trial("tuner0")
    assert again.trial_id == slow.trial_id
    finish(oracle, again, 2.0)
    finish(oracle, again, 5.0)
    assert oracle.end_order.count(slow.trial_id) == 1
    assert oracle.trials[slow.trial_id].score == 2.0


def test_a_late_result_does_not_update_the_reinforce_policy(tmp_path, clock):
    oracle = _oracle(tmp_path, clock, oracle_class=ReinforceOracle)
    first = oracle.create_trial("tuner0")
    slow = oracle.create_trial("tuner1")
    finish(oracle, first, 1.0)
    step = oracle._step
    clock.now += 61
    oracle.reclaim_silent_trials()

    late = oracle.trials[slow.trial_id]
    late.status = TrialStatus.COMPLETED
    oracle.end_trial(late)

    assert oracle._step == step


def test_the_queue_of_trials_to_run_again_survives_a_reload(tmp_path, clock):
    oracle = _oracle(tmp_path, clock)
    finish(oracle, oracle.create_trial("tuner0"), 1.0)
    lost = oracle.create_trial("tuner1")
    clock.now += 61
    oracle.reclaim_silent_trials()
    oracle.save()

    reloaded = _oracle(tmp_path, clock)
    reloaded.reload()

    assert reloaded.create_trial("tuner2").trial_id == lost.trial_id


@pytest.mark.parametrize("value", [0, -5, "60", True, float("nan")])
def test_trial_timeout_must_be_a_positive_number(tmp_path, value):
    with raises_mentioning(
        ValueError, "`trial_timeout`", "positive number", "or None", f"trial_timeout={value!r}"
    ):
        RegularizedEvolutionOracle(objective="val_accuracy", trial_timeout=value)
