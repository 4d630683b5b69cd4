"""`serve`: a keras-nas oracle behind KerasTuner's gRPC service on 127.0.0.1, driven by
KerasTuner's own worker client in this process (no training)."""

import io
import threading

import keras_tuner
import pytest
from keras_tuner.engine.trial import TrialStatus

from keras_nas.distribute import role, serve
from keras_nas.distribute.launch import free_port
from keras_nas.estimation import MedianStopping
from keras_nas.oracles import RegularizedEvolutionOracle
from tests.messages import assert_mentions
from tests.oracles.toy import flat_space


@pytest.fixture
def chief(tmp_path, monkeypatch):
    """An oracle served on a free port of 127.0.0.1, a worker's client of it, and the
    stream the chief prints to (its own: pytest swaps `sys.stdout` between a test's phases,
    while the server's thread wraps it, so `capsys` may miss the chief's lines)."""
    port = free_port()
    monkeypatch.setenv("KERASTUNER_ORACLE_IP", "127.0.0.1")
    monkeypatch.setenv("KERASTUNER_ORACLE_PORT", str(port))
    monkeypatch.setenv("KERASTUNER_TUNER_ID", "chief")
    oracle = RegularizedEvolutionOracle(
        objective=keras_tuner.Objective("score", "max"),
        hyperparameters=flat_space(),
        max_trials=3,
        seed=0,
        pruning=MedianStopping(min_epochs=1, min_trials=1),
    )
    oracle.verbose = 0
    oracle._set_project_dir(str(tmp_path), "served")  # Tests only: the tuner's private call.
    assert role() == "chief"
    printed = io.StringIO()
    server = threading.Thread(
        target=serve, args=(oracle,), kwargs={"poll_seconds": 0.05, "out": printed}
    )
    server.start()
    # KerasTuner's worker side (a private module): what a worker's tuner talks through.
    from keras_tuner.src.distribute.oracle_client import OracleClient

    monkeypatch.setenv("KERASTUNER_TUNER_ID", "tuner0")
    client = OracleClient(oracle)
    yield oracle, client, server, printed
    server.join(timeout=30)
    assert not server.is_alive()


def _end(client, trial):
    trial.status = TrialStatus.COMPLETED
    client.end_trial(trial)


def test_pruning_reaches_the_worker_and_the_chief_exits_when_done(chief):
    oracle, client, server, printed = chief
    first = client.create_trial("tuner0")
    assert client.update_trial(first.trial_id, {"score": 1.0}, step=0).status == "RUNNING"
    _end(client, first)

    poor = client.create_trial("tuner0")
    reply = client.update_trial(poor.trial_id, {"score": 0.1}, step=0)
    assert reply.status == TrialStatus.STOPPED  # Through the wire, as the tuner sees it.
    _end(client, poor)
    assert oracle.trials[poor.trial_id].message.startswith("Stopped early at epoch 1")

    last = client.create_trial("tuner0")
    client.update_trial(last.trial_id, {"score": 2.0}, step=0)
    _end(client, last)
    assert server.is_alive()  # tuner0 has not been told to stop yet.
    assert client.create_trial("tuner0").status == TrialStatus.STOPPED
    server.join(timeout=30)

    assert not server.is_alive()
    assert oracle.end_order == ["0", "1", "2"]
    out = printed.getvalue()
    lines = out.rstrip().splitlines()
    assert_mentions(lines[0], "Chief", "serving", "127.0.0.1:")
    [trial_1] = [line for line in lines if "trial 1 " in line]
    assert_mentions(trial_1, "Chief", "completed", "score 0.1000", "2/3 ended")
    assert_mentions(lines[-1], "Chief", "done", "3 trials ended")


def test_a_port_in_use_is_a_clear_error(tmp_path, monkeypatch):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        monkeypatch.setenv("KERASTUNER_ORACLE_IP", "127.0.0.1")
        monkeypatch.setenv("KERASTUNER_ORACLE_PORT", str(taken.getsockname()[1]))
        oracle = RegularizedEvolutionOracle(
            objective=keras_tuner.Objective("score", "max"), max_trials=1
        )
        with pytest.raises(RuntimeError, match="The chief could not listen on 127.0.0.1:"):
            serve(oracle)
