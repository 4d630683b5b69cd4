"""What a search costs beyond training its candidates (issue 9).

    TF_CPP_MIN_LOG_LEVEL=2 python benchmarks/overhead.py [--trials 8] [--epochs 5]
        [--repeats 3] [--seed 0] [--json]

Trains the same sequence of `--trials` small CNNs on digits (the demo's `MacroSpace`, 8x8x1
images, batch 32, `--epochs` epochs each, no early stopping) three ways:

- `plain`: a loop that builds each architecture with `space.build_model(values)` and trains
  it with `model.fit(..., validation_data=..., verbose=0)`; nothing else;
- `kerastuner`: KerasTuner's own `keras_tuner.Tuner` with a `RandomSearchOracle` whose
  `populate_space` returns the sequence's next architecture instead of a random one (the
  rest of `keras_tuner.RandomSearch` unchanged: its checkpoints, state files, builds);
- `keras_nas`: `keras_nas.EvolutionarySearch` (population `--trials`, so that every trial is
  one of its random draws), `verbose=0`.

The sequence is the first `--trials` proposals of that `EvolutionarySearch` with `--seed`,
drawn once by driving its oracle without training (random draws do not depend on scores);
the `keras_nas` run checks that it trained exactly this sequence. Each run is a fresh Python
process, timed from just before the tuner is made (or the loop starts) to the end of the
search, data already loaded and every package imported; weights are seeded alike. The three
runs of a repeat follow each other, in an order that rotates from repeat to repeat, so that
slow drifts of the machine fall on each arm alike. Printed: each run's seconds, the ratios
to the `plain` run of the same repeat, and their medians, against issue 9's target
(keras-nas / plain <= 1.05), and the median per-trial split: into build and fit for `plain`,
and into build, fit and bookkeeping from the trial records for `keras_nas` (its build
includes freeing the previous trial's Keras state). Exit status 1 if the target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

#: Issue 9's bound on keras-nas search time over the plain `model.fit` loop.
TARGET_RATIO = 1.05
ARMS = ("plain", "kerastuner", "keras_nas")
BATCH_SIZE = 32


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="also print each run as JSON")
    parser.add_argument("--arm", choices=ARMS, help=argparse.SUPPRESS)  # One run (internal).
    parser.add_argument("--sequence", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.arm:
        with open(args.sequence) as file:
            sequence = json.load(file)
        print(json.dumps(run_arm(args.arm, sequence, args.epochs, args.seed)))
        return 0
    return compare(args)


def compare(args: argparse.Namespace) -> int:
    command = "python benchmarks/overhead.py " + shlex.join(sys.argv[1:])
    print(f"$ {command}")
    python = platform.python_version()
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {python}")
    sequence = draw_sequence(args.trials, args.seed)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
        json.dump(sequence, file)
    seconds: dict[str, list[float]] = {arm: [] for arm in ARMS}
    splits: dict[str, list[dict[str, float]]] = {"plain": [], "keras_nas": []}
    try:
        for repeat in range(args.repeats):
            order = ARMS[repeat % 3 :] + ARMS[: repeat % 3]
            for arm in order:
                result = _run_in_subprocess(arm, file.name, args)
                seconds[arm].append(result["seconds"])
                if arm in splits:
                    splits[arm].append(result["split"])
                if args.json:
                    print(json.dumps({"repeat": repeat, "arm": arm, **result}))
            print(
                f"repeat {repeat + 1}: "
                + ", ".join(f"{arm} {seconds[arm][-1]:.2f} s" for arm in ARMS)
            )
    finally:
        os.unlink(file.name)
    return _report(seconds, splits, args)


def _report(seconds: dict[str, list[float]], splits: dict[str, list[dict]], args) -> int:
    print(f"\n{args.trials} trials x {args.epochs} epochs, {args.repeats} paired repeats")
    ratios = {}
    for arm in ("kerastuner", "keras_nas"):
        each = [mine / plain for mine, plain in zip(seconds[arm], seconds["plain"], strict=True)]
        ratios[arm] = statistics.median(each)
        print(
            f"{arm} / plain: median {ratios[arm]:.3f} (runs: "
            + ", ".join(f"{ratio:.3f}" for ratio in each)
            + ")"
        )
    for arm in ARMS:
        print(f"{arm}: median {statistics.median(seconds[arm]):.2f} s")
    for arm, runs in splits.items():
        per_part = {part: statistics.median(run[part] for run in runs) for part in runs[0]}
        print(
            f"{arm}, median seconds per trial: "
            + ", ".join(f"{part} {value:.3f}" for part, value in per_part.items())
        )
    met = ratios["keras_nas"] <= TARGET_RATIO
    print(f"target keras_nas / plain <= {TARGET_RATIO}: {'PASS' if met else 'FAIL'}")
    return 0 if met else 1


def _run_in_subprocess(arm: str, sequence_file: str, args) -> dict:
    command = [
        sys.executable,
        __file__,
        "--arm",
        arm,
        "--sequence",
        sequence_file,
        "--epochs",
        str(args.epochs),
        "--seed",
        str(args.seed),
    ]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"The {arm} run failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def space():
    """The demo's space: small CNNs on 8x8 digits."""
    from keras_nas.demo import digits_space

    return digits_space()


def draw_sequence(trials: int, seed: int) -> list[dict]:
    """The first `trials` proposals of `EvolutionarySearch`'s oracle, without training."""
    import keras_tuner

    from keras_nas.compat import set_project_directory
    from keras_nas.oracles import RegularizedEvolutionOracle

    searched = space()
    oracle = RegularizedEvolutionOracle(
        objective="val_accuracy",
        max_trials=trials,
        population_size=trials,
        sample_size=1,
        seed=seed,
    )
    oracle.canonical_key = searched.canonical_key  # As `NASTuner` sets it.
    oracle.verbose = 0
    hp = keras_tuner.HyperParameters()
    searched.declare_hyperparameters(hp)
    oracle.update_space(hp)
    set_project_directory(oracle, tempfile.mkdtemp(), "draw")
    sequence = []
    for _ in range(trials):
        trial = oracle.create_trial("draw")
        sequence.append(dict(trial.hyperparameters.values))
        oracle.update_trial(trial.trial_id, {"val_accuracy": 0.5})
        trial.status = "COMPLETED"
        oracle.end_trial(trial)
    return sequence


def run_arm(arm: str, sequence: list[dict], epochs: int, seed: int) -> dict:
    """Runs one arm in this process; returns its seconds (and keras-nas's per-trial split)."""
    import keras
    import keras_tuner  # noqa: F401  (imports are not the search's cost: done before timing)

    import keras_nas  # noqa: F401
    from keras_nas.datasets import load_digits
    from keras_nas.demo import digits_space  # noqa: F401

    (x, y), validation = load_digits()
    keras.utils.set_random_seed(seed)
    fit = {"epochs": epochs, "batch_size": BATCH_SIZE, "validation_data": validation}
    directory = tempfile.mkdtemp()
    start = time.perf_counter()
    split = {}
    if arm == "plain":
        split = _plain_loop(sequence, x, y, fit)
    elif arm == "kerastuner":
        _kerastuner_search(sequence, x, y, fit, directory)
    else:
        split = _keras_nas_search(sequence, x, y, fit, directory, seed)
    return {"seconds": time.perf_counter() - start, "split": split}


def _plain_loop(sequence, x, y, fit) -> dict[str, float]:
    """Builds and fits each architecture; returns the median seconds of each part."""
    searched = space()
    builds, fits = [], []
    for values in sequence:
        start = time.perf_counter()
        model = searched.build_model(values)
        built = time.perf_counter()
        model.fit(x, y, verbose=0, **fit)
        builds.append(built - start)
        fits.append(time.perf_counter() - built)
    return {"build": statistics.median(builds), "fit": statistics.median(fits)}


def _kerastuner_search(sequence, x, y, fit, directory) -> None:
    import keras_tuner

    class Replay(keras_tuner.oracles.RandomSearchOracle):
        """`RandomSearch`'s oracle, proposing the sequence instead of random values."""

        def populate_space(self, trial_id):
            return {"status": "RUNNING", "values": dict(sequence[int(trial_id)])}

    tuner = keras_tuner.Tuner(
        hypermodel=space(),
        oracle=Replay(objective="val_accuracy", max_trials=len(sequence)),
        directory=directory,
        project_name="kerastuner",
    )
    tuner.search(x, y, verbose=0, **fit)
    _check_trained(sequence, tuner)


def _keras_nas_search(sequence, x, y, fit, directory, seed) -> dict[str, float]:
    from keras_nas.tuners import EvolutionarySearch

    tuner = EvolutionarySearch(
        space(),
        objective="val_accuracy",
        max_trials=len(sequence),
        population_size=len(sequence),
        sample_size=1,
        seed=seed,
        directory=directory,
        project_name="keras_nas",
    )
    tuner.search(x, y, verbose=0, **fit)
    _check_trained(sequence, tuner)
    return _median_split(tuner)


def _check_trained(sequence: list[dict], tuner) -> None:
    trained = [
        tuner.oracle.trials[key].hyperparameters.values
        for key in sorted(tuner.oracle.trials, key=int)
    ]
    if [dict(values) for values in trained] != sequence:
        raise RuntimeError("The search did not train the benchmark's sequence of architectures.")


def _median_split(tuner) -> dict[str, float]:
    """The median over trials of each part of the trial's time, from its record."""
    from keras_nas.timing import trial_timing

    timings = [trial_timing(trial) for trial in tuner.oracle.trials.values()]
    timings = [timing for timing in timings if timing]
    if not timings:
        return {}
    return {part: statistics.median(t[part] for t in timings) for part in timings[0]}


if __name__ == "__main__":
    sys.exit(main())
