"""The chief of a parallel search: KerasTuner's oracle service, ended when the work is done.

KerasTuner's chief/worker mode runs the same script in several processes, told apart by
environment variables: the chief (`KERASTUNER_TUNER_ID` containing "chief") serves the oracle
over gRPC at `KERASTUNER_ORACLE_IP:KERASTUNER_ORACLE_PORT`; every other process is a worker
that asks it for trials, trains them and reports back. KerasTuner's own chief exits only once
every worker it has seen has been told to stop, so one vanished worker keeps it waiting
forever. `serve` runs the same service (KerasTuner's servicer, unchanged: only trial values
and metrics travel) and, with a keras-nas oracle, also takes back the trials of silent workers
and stops when no trial is left to run (`NASOracle.trial_timeout`).
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Iterator
from concurrent import futures
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from keras_nas.oracles.base import NASOracle

#: The environment variables of KerasTuner's chief/worker mode.
TUNER_ID = "KERASTUNER_TUNER_ID"
ORACLE_IP = "KERASTUNER_ORACLE_IP"
ORACLE_PORT = "KERASTUNER_ORACLE_PORT"
#: How often the chief checks whether the search is over, in seconds.
POLL_SECONDS = 0.5
#: Seconds the chief still answers once the search is over: a worker told to stop may still
#: ask something as its search ends, and a call to a chief that has gone waits an hour
#: (KerasTuner's client waits for the server to be ready).
LINGER_SECONDS = 2.0
# The names of the threads that answer the workers' calls.
_RPC_THREADS = "keras-nas-oracle-rpc"


def role() -> str:
    """`"chief"`, `"worker"` or `"single"` (no parallel search), from the environment.

    Example:
    >>> import os
    >>> os.environ.get("KERASTUNER_ORACLE_IP") is None and role() == "single"
    True
    """
    if ORACLE_IP not in os.environ:
        return "single"
    return "chief" if "chief" in os.environ.get(TUNER_ID, "") else "worker"


def serve(
    oracle: NASOracle,
    *,
    verbose: bool = True,
    poll_seconds: float = POLL_SECONDS,
    out: TextIO | None = None,
) -> None:
    """Serves `oracle` to the workers until the search is over, then returns.

    With `verbose`, prints a line when it starts, when each trial ends and when it stops, to
    `out` (standard output by default).
    Over when every trial has ended (or a worker was told the oracle has nothing more to
    try), no trial is running or waiting to run again, and every worker still heard from
    has been told to stop. Workers silent for longer than the oracle's `trial_timeout` are
    not waited for.

    Raises:
        RuntimeError: If the address cannot be bound (a port in use, say).
    """
    import grpc

    from keras_nas.compat import oracle_service

    oracle_chief, protos = oracle_service()

    address = f"{os.environ[ORACLE_IP]}:{os.environ[ORACLE_PORT]}"
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix=_RPC_THREADS))
    servicer = oracle_chief.OracleServicer(oracle)
    protos.get_service_grpc().add_OracleServicer_to_server(servicer, server)
    try:
        bound = server.add_insecure_port(address)
    except RuntimeError as error:
        bound, cause = 0, error
    else:
        cause = None
    if not bound:
        raise RuntimeError(
            f"The chief could not listen on {address} ({cause or 'address not available'}). "
            f"Set {ORACLE_PORT} to a free port (keras-nas launch picks one by itself)."
        ) from cause

    def say(line: str) -> None:
        if verbose:
            print(line, file=out if out is not None else sys.stdout, flush=True)

    with _quiet_rpc_threads():
        server.start()
        say(f"Chief: serving the oracle on {address}.")
        _serve_until_finished(oracle, servicer, server, say, poll_seconds)
    say(f"Chief: done, {len(oracle.end_order)} trials ended.")


def _serve_until_finished(oracle, servicer, server, say, poll_seconds: float) -> None:
    reported = len(oracle.end_order)
    try:
        while True:
            finished = oracle.search_finished(stop_requested=servicer.stop_triggered)
            ended = list(oracle.end_order[reported:])
            for number, trial_id in enumerate(ended, start=reported + 1):
                say(_ended_line(oracle, trial_id, number))
            reported = len(oracle.end_order)
            if finished:
                time.sleep(LINGER_SECONDS)
                break
            time.sleep(poll_seconds)
    finally:
        server.stop(grace=1.0).wait()


@contextlib.contextmanager
def _quiet_rpc_threads() -> Iterator[None]:
    """Drops what the threads answering the workers print to standard output.

    KerasTuner 1.4.8 prints the first value of every condition each time it converts a
    conditional hyperparameter for the wire (`Condition.to_proto`), several lines per call;
    the oracle's own notices go to standard error and are kept.
    """
    stdout = sys.stdout
    sys.stdout = _SkipThreads(stdout, _RPC_THREADS)
    try:
        yield
    finally:
        sys.stdout = stdout


class _SkipThreads:
    """A text stream that passes on the writes of every thread but those named `prefix`..."""

    def __init__(self, stream, prefix: str):
        self._stream, self._prefix = stream, prefix

    def write(self, text: str) -> int:
        if threading.current_thread().name.startswith(self._prefix):
            return len(text)
        return self._stream.write(text)

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def _ended_line(oracle: NASOracle, trial_id: str, number: int) -> str:
    trial = oracle.trials[trial_id]
    score = f"{trial.score:.4f}" if trial.score is not None else "-"
    total = oracle.max_trials or "?"
    return (
        f"Chief: trial {trial_id} {trial.status.lower()}, {oracle.objective.name} {score} "
        f"({number}/{total} ended)"
    )
