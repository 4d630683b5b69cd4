"""Architecture search on CIFAR-10 with `MacroSpace`.

    python examples/cifar10.py --trials 20 --epochs 10

CIFAR-10 is downloaded by `keras.datasets.cifar10` on first use (about 170 MB). Pass
`--dataset digits` to run the same code on scikit-learn's bundled digits instead, e.g. on a
machine without internet access; the test suite does that.
"""

from __future__ import annotations

import argparse
import os

import keras
import numpy as np

import keras_nas
from keras_nas.datasets import load_digits


def load_data(dataset: str, validation_size: int = 5000):
    """Returns `((x_train, y_train), (x_val, y_val))` scaled to [0, 1] with integer labels."""
    if dataset == "digits":
        return load_digits()
    if dataset != "cifar10":
        raise ValueError(f"`dataset` must be 'cifar10' or 'digits'. Received: {dataset!r}.")
    (x, y), _ = keras.datasets.cifar10.load_data()
    x = x.astype("float32") / 255.0
    y = y.reshape(-1).astype("int64")
    order = np.random.default_rng(0).permutation(len(x))
    x, y = x[order], y[order]
    return (x[validation_size:], y[validation_size:]), (x[:validation_size], y[:validation_size])


def main(
    *,
    dataset: str = "cifar10",
    max_trials: int = 20,
    epochs: int = 10,
    batch_size: int = 128,
    directory: str = "keras_nas_runs",
    seed: int = 0,
):
    """Searches `MacroSpace` on `dataset` and returns the tuner."""
    keras.utils.set_random_seed(seed)
    (x_train, y_train), (x_val, y_val) = load_data(dataset)
    space = keras_nas.search_spaces.MacroSpace(
        input_shape=x_train.shape[1:], num_classes=10, num_stages=3
    )
    project_name = f"{dataset}_macro"
    tuner = keras_nas.EvolutionarySearch(
        space,
        objective="val_accuracy",
        max_trials=max_trials,
        population_size=8,
        sample_size=3,
        seed=seed,
        directory=directory,
        project_name=project_name,
        overwrite=True,
    )
    tuner.search(
        x_train,
        y_train,
        validation_data=(x_val, y_val),
        epochs=epochs,
        batch_size=batch_size,
        callbacks=[
            keras.callbacks.TensorBoard(os.path.join(directory, project_name, "tensorboard")),
            keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=3),
        ],
    )
    for trial in tuner.oracle.get_best_trials(3):
        summary = space.describe(trial.hyperparameters.values)["summary"]
        print(f"trial {trial.trial_id}  val_accuracy {trial.score:.4f}  {summary}")
    return tuner


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=["cifar10", "digits"], default="cifar10")
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--directory", default="keras_nas_runs")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    main(
        dataset=args.dataset,
        max_trials=args.trials,
        epochs=args.epochs,
        batch_size=args.batch_size,
        directory=args.directory,
        seed=args.seed,
    )
