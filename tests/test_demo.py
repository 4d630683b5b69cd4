"""Tests of the demo search on digits."""

import io
import os

import keras
import pytest

from keras_nas.cli import main
from keras_nas.datasets import load_digits
from keras_nas.demo import digits_space, run_demo


def test_demo_searches_prints_progress_and_exports_the_best_model(tmp_path, capsys):
    out = io.StringIO()
    tuner = run_demo(directory=str(tmp_path), max_trials=2, epochs=1, out=out)
    text = out.getvalue()

    trials = tuner.oracle.trials
    assert len(trials) == 2
    assert all(trial.status == "COMPLETED" for trial in trials.values())
    assert "[ 1/2] trial 0  val_accuracy" in text and "[ 2/2] trial 1  val_accuracy" in text
    assert "Best architectures:" in text and "stem32 |" in text

    best_path = tmp_path / "digits" / "best_model.keras"
    assert f"Best model saved to {best_path}" in text
    model = keras.saving.load_model(best_path, safe_mode=True)
    (_, _), (x_val, y_val) = load_digits()
    _, accuracy = model.evaluate(x_val, y_val, verbose=0)
    assert accuracy == pytest.approx(tuner.oracle.get_best_trials(1)[0].score, abs=1e-6)

    log_dir = tmp_path / "digits" / "tensorboard"
    assert f"TensorBoard logs: {log_dir}" in text
    event_files = [
        name
        for _, _, files in os.walk(log_dir)
        for name in files
        if name.startswith("events.out.tfevents")
    ]
    assert len(event_files) >= 2
    assert (log_dir / "search").is_dir()  # SearchTensorBoard's run.
    assert f"Report and plots: keras-nas report {tmp_path / 'digits'}" in text

    # The report of the finished demo: its table, the best architecture, the plots.
    assert main(["report", str(tmp_path / "digits")]) == 0
    report = capsys.readouterr().out
    assert "trial  status" in report and "Best trial" in report
    best = tuner.oracle.get_best_trials(1)[0]
    assert f"Best trial {best.trial_id}: {best.score:.4f}" in report
    for plot in ("progress.png", "architecture.png"):
        assert (tmp_path / "digits" / plot).read_bytes().startswith(b"\x89PNG")


def test_demo_resume_runs_no_more_trials(tmp_path):
    run_demo(directory=str(tmp_path), max_trials=1, epochs=1, out=io.StringIO())
    tuner = run_demo(
        directory=str(tmp_path), max_trials=1, epochs=1, overwrite=False, out=io.StringIO()
    )
    assert list(tuner.oracle.trials) == ["0"]


def test_default_demo_architecture_reaches_097_on_digits():
    (x_train, y_train), (x_val, y_val) = load_digits()
    model = digits_space().build_model()
    history = model.fit(
        x_train, y_train, validation_data=(x_val, y_val), epochs=3, batch_size=32, verbose=0
    )
    assert max(history.history["val_accuracy"]) >= 0.97
