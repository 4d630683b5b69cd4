"""Trials per minute of a parallel search with 1 and with 2 workers (`keras-nas launch`).

    TF_CPP_MIN_LOG_LEVEL=2 python benchmarks/parallel.py [--trials 12] [--epochs 2]
        [--repeats 2] [--space macro]

Runs `examples/parallel_search.py` through `keras_nas.distribute.launch` with `--workers 1`
and `--workers 2`, alternating, `--repeats` times each. Every process is limited to one
TensorFlow thread (`--threads 1`), so on a 2-core machine two workers can use both cores.
The evolution's population is as large as the search (`--population-size`), so every trial
is a random draw from the same seeded sequence: both settings train the same architectures.
Printed: each run's wall time from the launch to the chief's exit (process start-up
included) and trials per minute, then the median ratio of 2-worker to 1-worker throughput.
"""

from __future__ import annotations

import argparse
import io
import os
import pathlib
import platform
import shlex
import statistics
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from keras_nas.distribute import launch  # noqa: E402

EXAMPLE = ROOT / "examples" / "parallel_search.py"


def run_search(workers: int, args: argparse.Namespace) -> float:
    """Wall seconds of one parallel search with `workers` workers."""
    with tempfile.TemporaryDirectory() as directory:
        command = [sys.executable, str(EXAMPLE), "--space", args.space, "--threads", "1"]
        command += ["--trials", str(args.trials), "--epochs", str(args.epochs)]
        command += ["--population-size", str(args.trials), "--directory", directory]
        out = io.StringIO()
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
        start = time.perf_counter()
        status = launch(command, workers, out=out, env=env)
        seconds = time.perf_counter() - start
    if status != 0:
        raise RuntimeError(f"the search with {workers} workers failed:\n{out.getvalue()[-3000:]}")
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=12)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--space", choices=("macro", "mlp"), default="macro")
    args = parser.parse_args(argv)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print("command: python benchmarks/parallel.py " + shlex.join(sys.argv[1:]))
    print("\n| run | workers | seconds | trials per minute |\n|---|---|---|---|")
    ratios = []
    for repeat in range(1, args.repeats + 1):
        rates = {}
        for workers in (1, 2):
            seconds = run_search(workers, args)
            rates[workers] = args.trials / seconds * 60
            print(f"| {repeat} | {workers} | {seconds:.1f} | {rates[workers]:.2f} |", flush=True)
        ratios.append(rates[2] / rates[1])
    print(
        f"\nthroughput, 2 workers / 1 worker: median {statistics.median(ratios):.2f} "
        f"(runs: {', '.join(f'{ratio:.2f}' for ratio in ratios)})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
