"""`search(max_time=..., max_trial_seconds=...)`: trials stopped with their reason and
metrics, the budget kept, and the search saying why it stopped (asserted through the
recorded times, not sleeps)."""

import io

import pytest

from keras_nas import EvolutionarySearch, cli
from keras_nas.datasets import load_digits
from keras_nas.project import load_report
from keras_nas.report import format_report, report_json
from keras_nas.search_spaces import MLPSpace
from tests.messages import assert_mentions, raises_mentioning


@pytest.fixture(scope="module")
def digits():
    (x, y), (x_val, y_val) = load_digits()
    return x.reshape(-1, 64), y, x_val.reshape(-1, 64), y_val


def _tuner(directory, out=None, **kwargs):
    return EvolutionarySearch(
        MLPSpace(input_shape=(64,), num_classes=10),
        objective="val_accuracy",
        max_trials=20,
        seed=0,
        directory=str(directory),
        project_name="budget",
        progress_out=out or io.StringIO(),
        **kwargs,
    )


def _epoch_seconds(trial):
    """The seconds of each epoch the trial ran (the first includes the build)."""
    times = [0.0] + [record.value[0] for record in trial.metrics.get_history("seconds")]
    return [later - earlier for earlier, later in zip(times, times[1:], strict=False)]


def test_a_budget_ends_the_search_within_an_epoch_and_says_why(tmp_path, digits):
    x, y, x_val, y_val = digits
    out = io.StringIO()
    tuner = _tuner(tmp_path, out)
    max_time, limit = 6.0, 2.0
    tuner.search(x, y, validation_data=(x_val, y_val), epochs=1000, batch_size=16, verbose=1,
                 max_time=max_time, max_trial_seconds=limit)  # fmt: skip

    trials = sorted(tuner.oracle.trials.values(), key=lambda trial: trial.trial_id)
    assert 2 <= len(trials) < 20
    longest_epoch = max(max(_epoch_seconds(trial)) for trial in trials)
    limits = tuner.oracle.time_limits
    for trial in trials:  # Each stopped by a limit, kept with its epochs' metrics.
        assert trial.status == "COMPLETED" and trial.score is not None
        assert_mentions(trial.message, "Stopped early at epoch", " by max_")
        assert limits.trial_seconds[trial.trial_id] <= limit + longest_epoch
    assert "by max_trial_seconds" in trials[0].message
    assert max(limits.ended_at.values()) <= max_time + longest_epoch
    assert_mentions(out.getvalue(), "The search stopped: max_time=6 s is spent")
    # The report's anytime view.
    report = load_report(tuner.project_dir)
    assert_mentions(
        format_report(report),
        "(max_time 6 s, max_trial_seconds 2 s)",
        "Stopped for time: max_time=6 s is spent",
        "Best val_accuracy at each quarter of it: ",
        f"The final best, {report.best.score:.4f} (trial {report.best.trial_id}), was first",
    )
    view = report_json(report)["time"]
    assert view["trials"] == len(trials) and view["max_time"] == max_time
    assert [point["seconds"] for point in view["curve"]] == sorted(
        limits.ended_at[point["trial_id"]] for point in view["curve"]
    )


def test_a_budget_shorter_than_the_checks_runs_no_trial_and_says_why(tmp_path, digits):
    x, y, x_val, y_val = digits
    out = io.StringIO()
    tuner = _tuner(tmp_path, out)
    tuner.search(x, y, validation_data=(x_val, y_val), epochs=1, verbose=1, max_time=1e-6)
    assert not tuner.oracle.trials
    assert_mentions(out.getvalue(), "The search stopped: max_time=1e-06 s is spent")


@pytest.mark.parametrize("bad", [0, -1, "10", float("nan")])
def test_bad_budgets_are_refused_before_any_training(tmp_path, digits, bad):
    x, y, x_val, y_val = digits
    with raises_mentioning(ValueError, "`max_time` must be a positive number of seconds"):
        _tuner(tmp_path).search(x, y, validation_data=(x_val, y_val), max_time=bad)


def test_a_budget_needs_a_keras_nas_oracle(tmp_path, digits):
    import keras_tuner

    from keras_nas import NASTuner

    tuner = NASTuner(
        MLPSpace(input_shape=(64,), num_classes=10),
        keras_tuner.oracles.RandomSearchOracle(objective="val_accuracy", max_trials=1),
        directory=str(tmp_path),
    )
    x, y, x_val, y_val = digits
    with raises_mentioning(ValueError, "need a keras-nas oracle", "RandomSearchOracle"):
        tuner.search(x, y, validation_data=(x_val, y_val), max_time=10)


def test_the_demo_takes_a_budget(capsys):
    with pytest.raises(SystemExit):
        cli.main(["demo", "--max-time", "-3"])
    assert "--max-time: must be a positive number of seconds, got '-3'" in capsys.readouterr().err


def test_a_supernet_search_trains_and_scores_what_fits_in_its_budget(tmp_path, digits):
    from keras_nas import OneShotSearch
    from keras_nas.search_spaces import NASBench201Space

    (x, y), (x_val, y_val) = load_digits()
    space = NASBench201Space(input_shape=(8, 8, 1), num_classes=10, cells_per_stage=1,
                             channels=4, operations=("skip_connect", "nor_conv_1x1"))  # fmt: skip
    out = io.StringIO()
    tuner = OneShotSearch(space, max_trials=10, supernet_epochs=50, seed=0,
                          directory=str(tmp_path), progress_out=out)  # fmt: skip
    tuner.search(x[:128], y[:128], validation_data=(x_val[:64], y_val[:64]), verbose=0,
                 max_time=1.0)  # fmt: skip
    # Its first epoch took longer than the budget: training stops there, one sub-network
    # is scored all the same, and the search stops.
    assert tuner.supernet_epochs_trained() == 1
    assert len(tuner.oracle.trials) == 1
    assert_mentions(
        out.getvalue(),
        "The supernet's training stopped after epoch 1",
        "The search stopped: max_time=1 s is spent",
    )
