"""`launch` and `keras-nas launch`: process handling on trivial commands, then real parallel
searches (the example script, a small MLP space on digits) with two workers."""

import io
import json
import os
import pathlib
import re
import signal
import subprocess
import sys
import threading
import time

import keras_tuner
import pytest

from keras_nas.distribute import launch
from keras_nas.oracles import RegularizedEvolutionOracle, ReinforceOracle
from tests.messages import assert_mentions

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "parallel_search.py"


def _python(code):
    return [sys.executable, "-c", code]


def test_each_process_gets_its_role_address_and_gpu():
    out = io.StringIO()
    code = (
        "import os; e = os.environ; print(e['KERASTUNER_TUNER_ID'], e['KERASTUNER_ORACLE_IP'], "
        "e['KERASTUNER_ORACLE_PORT'], repr(e['CUDA_VISIBLE_DEVICES']))"
    )
    status = launch(_python(code), 3, port=5555, gpus=["0", "1"], out=out)

    lines = sorted(line for line in out.getvalue().splitlines() if not line.startswith("[launch]"))
    assert status == 0
    assert lines == [
        "[chief] chief 127.0.0.1 5555 ''",
        "[tuner0] tuner0 127.0.0.1 5555 '0'",
        "[tuner1] tuner1 127.0.0.1 5555 '1'",
        "[tuner2] tuner2 127.0.0.1 5555 '0'",
    ]


def test_the_chiefs_status_is_the_result():
    code = "import os, sys; sys.exit(3 if os.environ['KERASTUNER_TUNER_ID'] == 'chief' else 0)"
    assert launch(_python(code), 1, out=io.StringIO()) == 3


def test_a_chief_left_without_workers_is_stopped():
    out = io.StringIO()
    code = "import os, time\nif os.environ['KERASTUNER_TUNER_ID'] == 'chief': time.sleep(600)"
    start = time.monotonic()
    status = launch(_python(code), 2, out=out, grace_seconds=1)

    assert status == 1
    assert time.monotonic() - start < 60
    assert_mentions(out.getvalue(), "[launch]", "every worker has exited", "stopping")


@pytest.mark.parametrize(
    "arguments, message",
    [
        (([], 1), "`command` must name the program to run"),
        ((["python"], 0), "`workers`.*positive integer.*Received: workers=0"),
        ((["python"], 1, {"gpus": []}), "`gpus` must list at least one GPU"),
    ],
)
def test_bad_arguments_are_refused(arguments, message):
    args, kwargs = arguments[:2], (arguments[2] if len(arguments) > 2 else {})
    with pytest.raises(ValueError, match=message.replace("`", ".").replace("(", ".")):
        launch(*args, **kwargs)


def test_the_command_line_needs_a_command(capsys):
    from keras_nas.cli import main

    assert main(["launch", "--workers", "2"]) == 2
    assert "give the command to run after --" in capsys.readouterr().err


def test_a_command_that_cannot_start_is_an_error(capsys):
    from keras_nas.cli import main

    assert main(["launch", "--workers", "1", "--", "no-such-program-here"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("keras-nas launch: error: ")
    assert_mentions(err, "Cannot start", "'no-such-program-here'", "No such file")


class Launched:
    """`keras-nas launch` in a subprocess, its output lines collected as they come."""

    def __init__(self, workers, script_args):
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
        command = [sys.executable, "-m", "keras_nas.cli", "launch", "--workers", str(workers)]
        command += ["--", sys.executable, str(EXAMPLE), *script_args]
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self.lines = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait(self, timeout):
        try:
            self.process.wait(timeout=timeout)
        finally:
            if self.process.poll() is None:
                self.process.kill()
        self.reader.join(timeout=10)
        return self.process.returncode

    def pid_of(self, name):
        for line in self.lines:
            if line.startswith(f"[launch] {name}: pid "):
                return int(line.rsplit(" ", 1)[1])
        return None

    def output(self):
        return "\n".join(self.lines[-80:])


def _reloaded_trials(directory, oracle_class, project):
    oracle = oracle_class(objective=keras_tuner.Objective("val_accuracy", "max"), max_trials=3)
    oracle._set_project_dir(str(directory), project)  # Tests only: the tuner's private call.
    oracle.reload()
    return oracle.trials


def _results(launched):
    lines = [line for line in launched.lines if line.startswith("[chief] RESULTS ")]
    assert len(lines) == 1, launched.output()
    return json.loads(lines[0][len("[chief] RESULTS ") :])


def _trials_reported_by(tuner, lines):
    """The ids of the trials whose result line `tuner` printed ("[tuner1] [1 here] trial 0 ...")."""
    found = (re.match(rf"\[{tuner}\] \[\d+ here\] trial (\S+) ", line) for line in lines)
    return {match[1] for match in found if match}


def _script_args(directory, oracle, *flags, trials=3, **options):
    args = ["--oracle", oracle, "--space", "mlp", "--trials", str(trials), "--threads", "1"]
    args += ["--directory", str(directory), "--json", *flags]
    for name, value in options.items():
        args += [f"--{name.replace('_', '-')}", str(value)]
    return args


@pytest.mark.parametrize(
    "oracle, oracle_class, flags",
    [
        ("evolution", RegularizedEvolutionOracle, []),
        ("reinforce", ReinforceOracle, ["--weight-sharing"]),
    ],
)
def test_two_workers_complete_the_search_once_each(tmp_path, oracle, oracle_class, flags):
    launched = Launched(2, _script_args(tmp_path, oracle, *flags, epochs=1))
    status = launched.wait(timeout=400)

    assert status == 0, launched.output()
    for name in ("chief", "tuner0", "tuner1"):
        assert f"[launch] {name} exited with status 0" in launched.lines, launched.output()
    results = _results(launched)
    assert len(results) == 3
    assert all(trial["status"] == "COMPLETED" for trial in results.values())
    architectures = [json.dumps(trial["values"], sort_keys=True) for trial in results.values()]
    assert len(set(architectures)) == 3
    if flags:  # Weight sharing: the workers' trained layers are in the shared folder.
        assert any(line.startswith("[tuner") and "inherited" in line for line in launched.lines)
        assert (tmp_path / f"parallel_{oracle}" / "shared_weights").is_dir()
    reloaded = _reloaded_trials(tmp_path, oracle_class, f"parallel_{oracle}")
    assert {
        trial_id: {
            "status": trial.status,
            "score": trial.score,
            "values": trial.hyperparameters.values,
        }
        for trial_id, trial in reloaded.items()
    } == results


def test_a_worker_killed_in_a_trial_does_not_stop_the_search(tmp_path):
    timeout = 12  # Above the workers' 10 s heartbeat.
    # 6 trials of 25 epochs (several seconds each). tuner1 is killed 1 s after it reports its
    # first trial: by then it has asked for its next one (trials are left even if tuner0
    # started well before it) and is training it. `oracle.json` cannot tell which worker runs
    # what: the oracle writes it when a trial ends, not when one starts.
    launched = Launched(
        2, _script_args(tmp_path, "evolution", trials=6, epochs=25, trial_timeout=timeout)
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and launched.process.poll() is None:
        if _trials_reported_by("tuner1", launched.lines):
            break
        time.sleep(0.1)
    assert _trials_reported_by("tuner1", launched.lines), launched.output()
    assert launched.process.poll() is None, launched.output()
    time.sleep(1)
    os.kill(launched.pid_of("tuner1"), signal.SIGKILL)
    killed_at = time.monotonic()
    finished_by_victim = _trials_reported_by("tuner1", launched.lines)

    status = launched.wait(timeout=300)

    assert status == 0, launched.output()
    assert time.monotonic() - killed_at < timeout + 90, launched.output()
    assert "[launch] tuner1 exited with status 137" in launched.lines, launched.output()
    handed_back = re.compile(
        rf"Worker tuner1 sent nothing for over {timeout} s; trial (\S+) goes back"
    )
    victims = [match[1] for line in launched.lines if (match := handed_back.search(line))]
    # The trial handed back is the one tuner1 was training, not one it had finished.
    assert len(victims) == 1, launched.output()
    assert victims[0] not in finished_by_victim, launched.output()
    results = _results(launched)
    assert len(results) == 6
    assert all(trial["status"] == "COMPLETED" for trial in results.values())
    assert len({json.dumps(trial["values"], sort_keys=True) for trial in results.values()}) == 6
