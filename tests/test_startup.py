"""What starting keras-nas costs: no TensorFlow where a command needs none, and no log noise
where one does.

Each test runs in a new Python process, since this one has imported TensorFlow
(`conftest.py`), and asserts on what that process imported (`sys.modules`), never on time.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from keras_nas import quiet

HEAVY = ("tensorflow", "keras", "keras_tuner")


def run_in_new_process(code, **kwargs):
    """Runs `code` in a new Python process; returns its output (which must end in a JSON line)."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        **kwargs,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def run_cli(argv):
    """Runs `keras-nas ARGV` in a new process: its exit status, standard error and the heavy
    modules it imported."""
    return run_in_new_process(
        f"""
        import contextlib, io, json, sys
        from keras_nas.cli import main
        err = io.StringIO()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            try:
                status = main({argv!r})
            except SystemExit as exit:
                status = exit.code
        heavy = [name for name in {HEAVY!r} if name in sys.modules]
        print(json.dumps({{"status": status, "stderr": err.getvalue(), "heavy": heavy}}))
        """
    )


def completed_project(root):
    """A project folder of one completed trial, as JSON files, without its weights."""
    project = root / "project"
    trial = project / "trial_0"
    trial.mkdir(parents=True)
    (project / "oracle.json").write_text(json.dumps({"start_order": ["0"]}))
    state = {
        "trial_id": "0",
        "hyperparameters": {"space": [], "values": {"num_layers": 1}},
        "metrics": {"metrics": {}},
        "score": 0.5,
        "best_step": 0,
        "status": "COMPLETED",
        "message": None,
    }
    (trial / "trial.json").write_text(json.dumps(state))
    return project


def test_importing_the_package_and_the_report_loads_no_tensorflow():
    loaded = run_in_new_process(
        f"""
        import json, sys
        import keras_nas, keras_nas.report
        print(json.dumps([name for name in {HEAVY!r} if name in sys.modules]))
        """
    )
    assert loaded == []


def test_help_loads_no_tensorflow():
    result = run_cli(["--help"])
    assert (result["status"], result["heavy"]) == (0, [])


@pytest.mark.parametrize(
    "args, message",
    [
        (["{missing}", "--out", "{tmp}/model.keras"], "is not a project folder"),
        (["{project}", "--out", "{tmp}/model.h5"], "--out must end in .keras"),
        (["{project}", "--out", "{tmp}/no/model.keras"], "does not exist"),
        (["{project}", "--out", "{tmp}/model.keras", "--trial", "7"], "has no trial '7'"),
    ],
)
def test_export_argument_errors_load_no_tensorflow(tmp_path, args, message):
    project = completed_project(tmp_path)
    paths = {"missing": tmp_path / "missing", "project": project, "tmp": tmp_path}
    result = run_cli(["export", *[arg.format(**paths) for arg in args]])
    assert result["status"] == 2
    assert result["stderr"].startswith("keras-nas export: error: ")
    assert message in result["stderr"]
    assert result["heavy"] == []


def test_demo_prints_no_tensorflow_start_up_logs(tmp_path):
    env = {name: value for name, value in os.environ.items() if name != "TF_CPP_MIN_LOG_LEVEL"}
    result = subprocess.run(
        [sys.executable, "-m", "keras_nas.cli", "demo", "--trials", "1", "--epochs", "1"]
        + ["--directory", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "[ 1/1] trial 0" in result.stdout
    for noise in ("absl::InitializeLog", "oneDNN", "cuInit", "cuda drivers", "TensorFlow binary"):
        assert noise not in result.stderr


# ------------------------------------------------------------------------------ quiet.py
def test_quiet_keeps_the_users_level(monkeypatch):
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "0")
    quiet.quiet_tensorflow()
    assert (os.environ["TF_CPP_MIN_LOG_LEVEL"], quiet.log_level()) == ("0", 0)
    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL")
    assert quiet.log_level() == quiet.DEFAULT_LEVEL
    quiet.quiet_tensorflow()
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == str(quiet.DEFAULT_LEVEL)
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "verbose")  # TensorFlow reads it as 0.
    assert quiet.log_level() == 0


NOTE = "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
INFO = "I0000 00:00:1796521778.043620    3423 port.cc:153] oneDNN custom operations are on.\n"
ERROR = "E0000 00:00:1796521850.271203    4368 cuda_platform.cc:52] failed call to cuInit\n"
FATAL = "F0000 00:00:1796521850.271203    4368 port.cc:12] cannot go on\n"
PYTHON = "/site-packages/keras/src/x.py:12: UserWarning: a Python warning\n"


@pytest.mark.parametrize(
    "line, level, hidden",
    [
        (NOTE, 0, False),
        (NOTE, 1, True),
        (INFO, 0, False),
        (INFO, 1, True),
        (ERROR, 2, False),
        (ERROR, 3, True),
        (FATAL, 3, False),
        (PYTHON, 3, False),
    ],
)
def test_start_up_lines_below_the_level_are_hidden(line, level, hidden):
    assert quiet.hidden(line, level) is hidden
