"""Times `keras-nas demo` and compares its result with training the space's default
architecture alone, side by side in one run.

    python benchmarks/demo.py [--trials 8] [--epochs 6] [--repeats 1]

Prints, for each repeat: the demo's wall time (the whole command, TensorFlow import included,
as a user sees it) and the best validation accuracy it found; and the wall time and validation
accuracy of one `model.fit` of `digits_space()`'s default architecture for the same number of
epochs (the baseline a search must beat), with the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time

BASELINE = """
import json, time
import keras
from keras_nas.datasets import load_digits
from keras_nas.demo import digits_space
keras.utils.set_random_seed(0)
(x, y), (xv, yv) = load_digits()
start = time.monotonic()
model = digits_space().build_model()
history = model.fit(x, y, validation_data=(xv, yv), epochs={epochs}, batch_size=32, verbose=0)
print(json.dumps({{"seconds": time.monotonic() - start,
                  "val_accuracy": max(history.history["val_accuracy"])}}))
"""


def time_demo(trials: int, epochs: int) -> dict:
    with tempfile.TemporaryDirectory() as directory:
        start = time.monotonic()
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "keras_nas.cli",
                "demo",
                "--trials",
                str(trials),
                "--epochs",
                str(epochs),
                "--directory",
                directory,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        seconds = time.monotonic() - start
    best = re.search(r"^1\s+\S+\s+([0-9.]+)", result.stdout, re.MULTILINE)
    return {"seconds": seconds, "val_accuracy": float(best.group(1))}


def time_baseline(epochs: int) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", BASELINE.format(epochs=epochs)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print(
        f"command: python benchmarks/demo.py --trials {args.trials} --epochs {args.epochs} "
        f"--repeats {args.repeats}"
    )
    for repeat in range(1, args.repeats + 1):
        demo = time_demo(args.trials, args.epochs)
        baseline = time_baseline(args.epochs)
        print(
            f"repeat {repeat}: demo {demo['seconds']:.1f} s, best val_accuracy "
            f"{demo['val_accuracy']:.4f} | default architecture alone "
            f"{baseline['seconds']:.1f} s, val_accuracy {baseline['val_accuracy']:.4f} | "
            f"time ratio {demo['seconds'] / baseline['seconds']:.1f}x, accuracy gain "
            f"{demo['val_accuracy'] - baseline['val_accuracy']:+.4f}"
        )


if __name__ == "__main__":
    main()
