"""Two runs of the same seeded search, deterministic and not: do they agree, and at what cost?

    python -m benchmarks.reproducibility [--trials 8] [--epochs 3] [--seed 0] [--json FILE]

`EvolutionarySearch` over the demo's `MacroSpace` on digits (8x8x1, batch 32, `--epochs`
epochs, `--trials` trials, seed `--seed`) runs four times in this process, one after the
other: twice without `deterministic`, then twice with it (op determinism, once on, stays on
for the process). Printed, per setting: whether the two
runs proposed the same architectures in the same order, how many trials have the same score
bit for bit, the largest score difference, each run's best and wall time; then the
deterministic runs' time against the others', and one trial of the first deterministic run
retrained alone by `tuner.reproduce` against its recorded score. Run it from the repository
root, alone on the machine.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import shlex
import sys
import tempfile
import time
from collections.abc import Sequence

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def run(directory: str, name: str, args: argparse.Namespace, deterministic: bool):
    """One search; its tuner and wall seconds."""
    from keras_nas import EvolutionarySearch
    from keras_nas.datasets import load_digits
    from keras_nas.demo import digits_space

    (x, y), validation = load_digits()
    start = time.perf_counter()
    tuner = EvolutionarySearch(
        digits_space(),
        objective="val_accuracy",
        max_trials=args.trials,
        seed=args.seed,
        deterministic=deterministic,
        directory=directory,
        project_name=name,
        progress_out=io.StringIO(),
    )
    tuner.search(x, y, validation_data=validation, epochs=args.epochs, batch_size=32, verbose=0)
    return tuner, time.perf_counter() - start


def trials(tuner) -> list[tuple[str, dict, float]]:
    return [
        (trial_id, trial.hyperparameters.values, float(trial.score))
        for trial_id, trial in sorted(tuner.oracle.trials.items(), key=lambda item: int(item[0]))
    ]


def compare(first, second) -> dict:
    """How two runs' trials agree."""
    a, b = trials(first), trials(second)
    return {
        "same_architectures": [values for _, values, _ in a] == [values for _, values, _ in b],
        "same_scores": sum(x[2] == y[2] for x, y in zip(a, b, strict=True)),
        "trials": len(a),
        "largest_difference": max(abs(x[2] - y[2]) for x, y in zip(a, b, strict=True)),
        "best": [max(score for *_, score in a), max(score for *_, score in b)],
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from keras_nas.datasets import load_digits

    print(f"`python -m benchmarks.reproducibility {shlex.join(argv or sys.argv[1:])}`")
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    results = {}
    with tempfile.TemporaryDirectory() as directory:
        runs = {}
        # The default runs first: op determinism, once on, stays on for the process.
        for deterministic in (False, True):
            for repeat in (1, 2):
                name = f"{'deterministic' if deterministic else 'default'}_{repeat}"
                runs[name] = run(directory, name, args, deterministic)
        print(
            "| setting | same architectures, same order | same score, bit for bit | largest "
            "score difference | best (run 1, run 2) | seconds (run 1, run 2) |"
        )
        print("|---|---|---|---|---|---|")
        for setting in ("deterministic", "default"):
            (first, t1), (second, t2) = runs[f"{setting}_1"], runs[f"{setting}_2"]
            row = compare(first, second)
            row["seconds"] = [t1, t2]
            results[setting] = row
            print(
                f"| `deterministic={setting == 'deterministic'}` | "
                f"{'yes' if row['same_architectures'] else 'no'} | "
                f"{row['same_scores']} of {row['trials']} | {row['largest_difference']:.4f} | "
                f"{row['best'][0]:.4f}, {row['best'][1]:.4f} | {t1:.0f}, {t2:.0f} |"
            )
        share = sum(results["deterministic"]["seconds"]) / sum(results["default"]["seconds"])
        results["time_ratio"] = share
        print(f"Deterministic runs' time against the default runs': {share:.2f}")
        tuner = runs["deterministic_1"][0]
        (x, y), validation = load_digits()
        best = tuner.oracle.get_best_trials(1)[0]
        start = time.perf_counter()
        reproduced = tuner.reproduce(best.trial_id, x, y, validation_data=validation)
        results["reproduce"] = {
            "trial": best.trial_id,
            "recorded": reproduced.recorded,
            "reproduced": reproduced.reproduced,
            "seconds": time.perf_counter() - start,
        }
        print(f"tuner.reproduce of the best trial: {reproduced}")
    if args.json:
        with open(args.json, "w") as file:
            json.dump(results, file, indent=1)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="also write the results to this JSON file")
    return parser


if __name__ == "__main__":
    raise SystemExit(main())
