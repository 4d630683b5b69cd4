"""How many trials a search under a tight parameter limit gives, and what an impossible limit
says.

    python benchmarks/tight_constraints.py [--limits 2000 6000 20000] [--trials 10]
        [--strategies evolution reinforce] [--seed 0]

For each strategy and limit: a search of `--trials` trials on the demo's `MacroSpace` (8x8
digits, 200 training and 100 validation images, 1 epoch each: the training is not what is
measured) with `Constraints(max_params=LIMIT)`. Printed, one row each: the trials completed,
the smallest and largest parameter count of a trial (every one must be within the limit),
how many times the constraint was checked (each check builds the untrained candidate), the
seconds, and the first line the search printed about the constraint (when it ended early).

To compare with another version of keras-nas, run the same command with that version on the
`PYTHONPATH` (e.g. a `git worktree` of an earlier commit): the script uses only the public
API.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import platform
import shlex
import sys
import tempfile
import time

from keras_nas.quiet import quiet_tensorflow

STRATEGIES = ("evolution", "reinforce")


def run(strategy: str, limit: int, trials: int, seed: int, data) -> dict:
    """One search; returns its row of the table."""
    import keras_nas
    from keras_nas.objectives import Constraints
    from keras_nas.search_spaces import MacroSpace

    search = {"evolution": keras_nas.EvolutionarySearch, "reinforce": keras_nas.ReinforceSearch}
    (x, y), (x_val, y_val) = data
    tuner = search[strategy](
        MacroSpace(input_shape=(8, 8, 1), num_classes=10),
        objective="val_accuracy",
        max_trials=trials,
        seed=seed,
        constraints=Constraints(max_params=limit),
        directory=tempfile.mkdtemp(),
    )
    checks = 0
    check = tuner.oracle.constraint

    def counted(values):
        nonlocal checks
        checks += 1
        return check(values)

    tuner.oracle.constraint = counted
    messages = io.StringIO()
    start = time.monotonic()
    with contextlib.redirect_stderr(messages):
        tuner.search(x, y, validation_data=(x_val, y_val), epochs=1, verbose=0)
    seconds = time.monotonic() - start
    params = [
        int(trial.metrics.get_last_value("params"))
        for trial in tuner.oracle.trials.values()
        if trial.status == "COMPLETED"
    ]
    said = [line for line in messages.getvalue().splitlines() if "candidate" in line]
    return {
        "strategy": strategy,
        "limit": limit,
        "completed": len(params),
        "params": (min(params), max(params)) if params else None,
        "checks": checks,
        "seconds": seconds,
        "message": said[0] if said else "",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limits", type=int, nargs="+", default=[2000, 6000, 20000])
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--strategies", nargs="+", choices=STRATEGIES, default=list(STRATEGIES))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    quiet_tensorflow()
    import keras_tuner
    import tensorflow as tf

    import keras_nas
    from keras_nas.datasets import load_digits

    (x, y), (x_val, y_val) = load_digits()
    data = (x[:200], y[:200]), (x_val[:100], y_val[:100])
    print(f"Command: python benchmarks/tight_constraints.py {shlex.join(sys.argv[1:])}")
    print(
        f"Machine: {platform.machine()}, Python {platform.python_version()}, TensorFlow "
        f"{tf.__version__}, KerasTuner {keras_tuner.__version__}, keras-nas "
        f"{keras_nas.__version__} from {keras_nas.__file__}"
    )
    print("| strategy | max_params | trials completed | params of the trials | checks | s |")
    print("|---|---|---|---|---|---|")
    messages = []
    for strategy in args.strategies:
        for limit in args.limits:
            row = run(strategy, limit, args.trials, args.seed, data)
            span = "-" if row["params"] is None else "{:,} to {:,}".format(*row["params"])
            print(
                f"| {strategy} | {limit:,} | {row['completed']} of {args.trials} | {span} | "
                f"{row['checks']} | {row['seconds']:.0f} |",
                flush=True,
            )
            if row["message"]:
                messages.append(f"{strategy}, max_params={limit:,}: {row['message']}")
    print("\nWhat the searches that ended early printed:")
    for message in messages:
        print(f"- {message}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
