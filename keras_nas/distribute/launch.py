"""`launch`: a parallel search on one host, a chief and N workers running the same script."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from typing import TextIO

from keras_nas.arguments import check_count
from keras_nas.distribute.chief import ORACLE_IP, ORACLE_PORT, TUNER_ID

#: Seconds the workers get to finish after the chief exits, and the chief after the last
#: worker exits, before they are stopped.
GRACE_SECONDS = 30.0


def launch(
    command: Sequence[str],
    workers: int,
    *,
    host: str = "127.0.0.1",
    port: int | None = None,
    gpus: Sequence[str] | None = None,
    out: TextIO | None = None,
    env: Mapping[str, str] | None = None,
    grace_seconds: float = GRACE_SECONDS,
) -> int:
    """Runs `command` as the chief and as `workers` workers of one search; returns the
    chief's exit status.

    Each process gets KerasTuner's variables: `KERASTUNER_TUNER_ID` (`chief`, then
    `tuner0`, `tuner1`, ...), `KERASTUNER_ORACLE_IP` (`host`) and `KERASTUNER_ORACLE_PORT`
    (`port`, or a free one). Every line a process prints is written to `out` with its name,
    `[chief] ...`, `[tuner0] ...`. A worker that dies does not stop the others (a keras-nas
    oracle with a `trial_timeout` gives its trial to another). Once the chief exits, the
    workers get `grace_seconds` to finish before they are stopped; if every worker exits
    while the chief still waits, the chief gets `grace_seconds` and is then stopped, with
    status 1.

    Example:
    >>> import io, sys
    >>> out = io.StringIO()
    >>> launch([sys.executable, "-c", "import os; print(os.environ['KERASTUNER_TUNER_ID'])"],
    ...        workers=1, out=out)
    0
    >>> sorted(line for line in out.getvalue().splitlines() if "launch" not in line)
    ['[chief] chief', '[tuner0] tuner0']

    Args:
        command: The program and its arguments, e.g. `["python", "search.py"]`.
        workers: How many workers; at least 1.
        host: The address the chief listens on and the workers connect to. The default
            keeps the service on this machine.
        port: The chief's port; `None` picks a free one.
        gpus: Pins worker i to GPU `gpus[i % len(gpus)]` through `CUDA_VISIBLE_DEVICES`
            (the chief, which trains nothing, sees no GPU); `None` leaves devices alone.
        out: Where the output goes; standard output by default.
        env: The environment of the processes; this process's by default.
        grace_seconds: See above.

    Raises:
        ValueError: If `command` is empty or cannot be started, `workers` is not a positive
            integer or `gpus` is empty.
    """
    if not command:
        raise ValueError("`command` must name the program to run, e.g. ['python', 'search.py'].")
    workers = check_count("workers", workers)
    if gpus is not None and not list(gpus):
        raise ValueError("`gpus` must list at least one GPU, e.g. ['0', '1'], or be None.")
    printer = _Printer(out)
    port = port or free_port(host)
    names = ["chief"] + [f"tuner{i}" for i in range(workers)]
    processes: dict[str, subprocess.Popen] = {}
    pumps = []
    try:
        for index, name in enumerate(names):
            child_env = _environment(env, name, host, port, _gpu_of(gpus, index - 1))
            try:
                processes[name] = subprocess.Popen(
                    list(command),
                    env=child_env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                    errors="replace",
                    start_new_session=True,
                )
            except OSError as error:
                raise ValueError(f"Cannot start {command[0]!r}: {error}.") from error
            printer.line("launch", f"{name}: pid {processes[name].pid}")
            pump = threading.Thread(
                target=_pump, args=(processes[name], name, printer), daemon=True
            )
            pump.start()
            pumps.append(pump)
        status = _supervise(processes, printer, grace_seconds)
    except KeyboardInterrupt:
        printer.line("launch", "interrupted: stopping every process")
        status = 130
    finally:
        for name, process in processes.items():
            _stop(process, name, printer)
        for pump in pumps:
            pump.join(timeout=5)
    return status


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that nothing listens on at `host` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def exit_status(returncode: int) -> int:
    """A process's status as a shell reports it: 128 + N for a process killed by signal N."""
    return 128 - returncode if returncode < 0 else returncode


def _supervise(
    processes: dict[str, subprocess.Popen], printer: _Printer, grace_seconds: float
) -> int:
    """Waits for the chief, reporting each process's end; returns the chief's status."""
    chief = processes["chief"]
    reported: set[str] = set()
    workers_gone_at = None
    while True:
        for name, process in processes.items():
            if name not in reported and process.poll() is not None:
                reported.add(name)
                printer.line(
                    "launch", f"{name} exited with status {exit_status(process.returncode)}"
                )
        if chief.poll() is not None:
            break
        if all(name in reported for name in processes if name != "chief"):
            workers_gone_at = workers_gone_at or time.monotonic()
            if time.monotonic() - workers_gone_at > grace_seconds:
                printer.line(
                    "launch", "every worker has exited and the chief still waits: stopping it"
                )
                _stop(chief, "chief", printer)
                return 1
        time.sleep(0.2)
    deadline = time.monotonic() + grace_seconds
    for name, process in processes.items():
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            printer.line("launch", f"{name} still runs {grace_seconds:g} s after the chief ended")
        if name not in reported and process.poll() is not None:
            printer.line("launch", f"{name} exited with status {exit_status(process.returncode)}")
    return exit_status(chief.returncode)


def _environment(
    env: Mapping[str, str] | None, name: str, host: str, port: int, gpu: str | None
) -> dict[str, str]:
    child = dict(os.environ if env is None else env)
    child.update({TUNER_ID: name, ORACLE_IP: host, ORACLE_PORT: str(port)})
    child["PYTHONUNBUFFERED"] = "1"  # Lines arrive as they are printed.
    if gpu is not None:
        child["CUDA_VISIBLE_DEVICES"] = gpu
    return child


def _gpu_of(gpus: Sequence[str] | None, worker: int) -> str | None:
    """The GPU of worker `worker` (-1: the chief, which gets none)."""
    if gpus is None:
        return None
    gpus = list(gpus)
    return "" if worker < 0 else str(gpus[worker % len(gpus)])


def _pump(process: subprocess.Popen, name: str, printer: _Printer) -> None:
    for line in process.stdout:
        printer.line(name, line.rstrip("\n"))


def _stop(process: subprocess.Popen, name: str, printer: _Printer) -> None:
    """Stops a process (and what it started) that still runs: SIGTERM, then SIGKILL."""
    if process.poll() is not None:
        return
    printer.line("launch", f"stopping {name}")
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


class _Printer:
    """Writes whole lines from several threads, each with its source's name."""

    def __init__(self, out: TextIO | None):
        self.out = out
        self.lock = threading.Lock()

    def line(self, name: str, text: str) -> None:
        with self.lock:
            out = self.out or sys.stdout
            out.write(f"[{name}] {text}\n")
            out.flush()
