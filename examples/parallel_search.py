"""A parallel architecture search: a chief and several workers on one machine.

    keras-nas launch --workers 2 -- python examples/parallel_search.py

`keras-nas launch` runs this script three times: once as the chief, which serves the search
strategy (the oracle), and once per worker, each training the trials it is given. Apart from
reporting the results on the chief only, nothing in the script is specific to parallel
search: run alone (`python examples/parallel_search.py`), it searches in one process.
Options: `--oracle evolution|reinforce`, `--space macro|mlp`,
`--trials`, `--epochs`, `--trial-timeout` (seconds without a report after which a worker's
trial goes to another worker), `--threads` (TensorFlow threads per process), `--directory`,
`--weight-sharing` (candidates inherit trained weights through the shared project folder),
`--population-size` (evolution: how many trials are drawn at random before mutation starts),
`--json` (the chief prints every trial as one JSON line at the end).

On several machines, start the same script on each with KerasTuner's variables set by hand:
`KERASTUNER_TUNER_ID` (`chief` on one machine, `tuner0`, `tuner1`, ... on the others),
`KERASTUNER_ORACLE_IP` (the chief's address; the chief listens on it) and
`KERASTUNER_ORACLE_PORT`; `--directory` must then be a folder that all of them share.
"""

from __future__ import annotations

import argparse
import json
import os

import tensorflow as tf

import keras_nas
from keras_nas.datasets import load_digits
from keras_nas.distribute import role
from keras_nas.search_spaces import MacroSpace, MLPSpace


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if args.threads:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    (x, y), (x_val, y_val) = load_digits(seed=0)
    if args.space == "mlp":
        x, x_val = x.reshape(len(x), -1), x_val.reshape(len(x_val), -1)
        space = MLPSpace(input_shape=x.shape[1:], num_classes=10)
    else:
        space = MacroSpace(input_shape=x.shape[1:], num_classes=10, num_stages=2)
    search = (
        keras_nas.EvolutionarySearch if args.oracle == "evolution" else keras_nas.ReinforceSearch
    )
    options = {}
    if args.oracle == "evolution":
        options = {"population_size": args.population_size, "sample_size": 2}
    tuner = search(
        space,
        objective="val_accuracy",
        max_trials=args.trials,
        seed=args.seed,
        trial_timeout=args.trial_timeout,
        weight_sharing=args.weight_sharing,
        directory=args.directory,
        project_name=f"parallel_{args.oracle}",
        overwrite=False,  # Every process opens the same project; none may delete it.
        **options,
    )
    tuner.search(x, y, validation_data=(x_val, y_val), epochs=args.epochs, batch_size=64)
    if role() == "worker":
        return  # The chief reports the results.
    trials = tuner.oracle.trials.values()
    if args.json:
        record = {
            trial.trial_id: {
                "status": trial.status,
                "score": trial.score,
                "values": trial.hyperparameters.values,
            }
            for trial in trials
        }
        print("RESULTS " + json.dumps(record, sort_keys=True), flush=True)
    best = tuner.oracle.get_best_trials(1)[0]
    architecture = space.summarize(best.hyperparameters.values)
    print(f"trials: {len(trials)}, best {best.score:.4f}: {architecture}")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--oracle", choices=("evolution", "reinforce"), default="evolution")
    parser.add_argument("--space", choices=("macro", "mlp"), default="macro")
    parser.add_argument("--trials", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument(
        "--population-size", type=int, default=4, help="evolution: trials drawn at random first"
    )
    parser.add_argument("--trial-timeout", type=float, default=120.0)
    parser.add_argument("--threads", type=int, default=0, help="0: TensorFlow's default")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--directory", default=os.path.join("keras_nas_runs", "parallel"))
    parser.add_argument("--weight-sharing", action="store_true")
    parser.add_argument("--json", action="store_true")
    return parser


if __name__ == "__main__":
    main()
