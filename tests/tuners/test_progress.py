"""The progress line of a finished trial: its id, score, best so far and recorded time."""

import io
import types

import keras_tuner
import pytest

from keras_nas.tuners import progress
from keras_nas.tuners.progress import SearchProgress


def _finished_trial(trial_id, score, parts, seconds=(9.5, 18.5)):
    trial = keras_tuner.engine.trial.Trial(
        keras_tuner.HyperParameters(), trial_id=trial_id, status="COMPLETED"
    )
    trial.score = score
    for step, value in enumerate(seconds):  # The `seconds` metric of each epoch report.
        trial.metrics.update("seconds", value, step=step)
    for name, value in parts.items():
        trial.metrics.update(name, value)
    return trial


def _tuner(trials, max_trials=8):
    oracle = types.SimpleNamespace(
        trials={trial.trial_id: trial for trial in trials},
        max_trials=max_trials,
        objective=keras_tuner.Objective("val_accuracy", "max"),
        get_trial=lambda trial_id: next(t for t in trials if t.trial_id == trial_id),
        get_best_trials=lambda n: sorted(trials, key=lambda t: -t.score)[:n],
    )
    return types.SimpleNamespace(oracle=oracle, hypermodel=None)


def test_the_line_shows_the_trials_id_and_its_recorded_time(monkeypatch):
    now = iter([100.0, 101.0, 131.0])  # Made, trial started, trial ended.
    monkeypatch.setattr(progress.time, "monotonic", lambda: next(now))
    parts = {"build_seconds": 0.25, "fit_seconds": 19.25, "bookkeeping_seconds": 0.125}
    best = _finished_trial("0", 0.9889, parts)
    trial = _finished_trial("2", 0.9861, parts)
    out = io.StringIO()
    line = SearchProgress(out)
    line.trial_started()
    line.trial_ended(_tuner([best, _finished_trial("1", 0.5, parts), trial]), trial)
    assert out.getvalue() == (
        "[ 3/8] trial 2  val_accuracy 0.9861  best 0.9889   19.6s  elapsed 0:31  left ~0:52\n"
    )


@pytest.mark.parametrize("seconds, shown", [((9.5, 18.5), "18.5s"), ((), "10.5s")])
def test_a_trial_without_recorded_parts_shows_its_last_seconds_or_the_time_since_it_started(
    monkeypatch, seconds, shown
):
    now = iter([100.0, 101.0, 111.5])
    monkeypatch.setattr(progress.time, "monotonic", lambda: next(now))
    trial = _finished_trial("0", 0.5, {}, seconds)
    out = io.StringIO()
    line = SearchProgress(out)
    line.trial_started()
    line.trial_ended(_tuner([trial]), trial)
    assert f"trial 0  val_accuracy 0.5000  best 0.5000   {shown}  elapsed" in out.getvalue()


def test_a_search_without_max_trials_counts_its_trials_alone(monkeypatch):
    now = iter([100.0, 101.0, 111.5])
    monkeypatch.setattr(progress.time, "monotonic", lambda: next(now))
    trial = _finished_trial("0", 0.5, {})
    out = io.StringIO()
    line = SearchProgress(out)
    line.trial_started()
    line.trial_ended(_tuner([trial], max_trials=None), trial)
    assert out.getvalue().startswith("[ 1] trial 0  val_accuracy 0.5000  best 0.5000")
