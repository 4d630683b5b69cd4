"""Gradient-based architecture search (DARTS or GDAS) of the NAS-Bench-201 cell on digits.

    python examples/gradient_search_digits.py --method darts --epochs 20
    python examples/gradient_search_digits.py --method gdas --no-collapse-control
    python examples/gradient_search_digits.py --table ../shared/data/nasbench201_test_acc.csv

`keras_nas.DifferentiableSearch` trains the relaxed supernet (every operation on every edge,
weighted by learned architecture parameters) on the training split and the architecture
parameters on the validation split, then records the derived cell as a trial, trains it from
scratch with two seeds and saves it as a plain `.keras` model. With `--table` (the
NAS-Bench-201 CSV), it also prints the cell's CIFAR-10 test accuracy in the benchmark.
TensorBoard: `tensorboard --logdir keras_nas_runs/gradient_search_<method>/tensorboard`.
"""

from __future__ import annotations

import argparse
import os

import keras

import keras_nas
from keras_nas.datasets import load_digits
from keras_nas.tuners.differentiable import METHODS


def make_space() -> keras_nas.search_spaces.NASBench201Space:
    """The searched space: the NAS-Bench-201 cell, one cell per stage, on 8x8 digits."""
    return keras_nas.search_spaces.NASBench201Space(
        input_shape=(8, 8, 1), num_classes=10, cells_per_stage=1, channels=8
    )


def main(
    *,
    method: str = "darts",
    epochs: int = 20,
    collapse_control: bool = True,
    retrain_epochs: int = 15,
    table: str | None = None,
    directory: str = "keras_nas_runs",
    seed: int = 0,
) -> keras_nas.DifferentiableSearch:
    """Searches, retrains the derived cell with two seeds, saves it; returns the tuner."""
    (x_train, y_train), (x_val, y_val) = load_digits(seed=seed)
    space = make_space()
    tuner = keras_nas.DifferentiableSearch(
        space,
        method,
        epochs=epochs,
        collapse_control=collapse_control,
        architecture_learning_rate=3e-3,  # Digits' epochs are short: see the guide.
        seed=seed,
        directory=directory,
        project_name=f"gradient_search_{method}",
    )
    logs = os.path.join(tuner.project_dir, "tensorboard")
    tuner.search(
        x_train,
        y_train,
        validation_data=(x_val, y_val),
        batch_size=64,
        callbacks=[
            keras.callbacks.TensorBoard(logs),
            keras_nas.callbacks.ArchitectureTensorBoard(logs),
        ],
    )
    cell = space.to_arch_string(tuner.get_best_hyperparameters(1)[0].values)
    print(f"derived cell: {cell}")
    if table is not None:
        accuracy = keras_nas.search_spaces.load_nasbench201_table(table)[cell]["cifar10"]
        print(f"its CIFAR-10 test accuracy in NAS-Bench-201: {accuracy:.2f}")
    for result in tuner.retrain(top_k=1, epochs=retrain_epochs, seeds=[seed, seed + 1]):
        print(result)
    tuner.get_best_models(1)[0].save(os.path.join(tuner.project_dir, "derived.keras"))
    return tuner


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--method", choices=METHODS, default="darts")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--no-collapse-control", action="store_true")
    parser.add_argument("--retrain-epochs", type=int, default=15)
    parser.add_argument("--table", help="the NAS-Bench-201 CSV, to look the cell up")
    parser.add_argument("--directory", default="keras_nas_runs")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    main(
        method=args.method,
        epochs=args.epochs,
        collapse_control=not args.no_collapse_control,
        retrain_epochs=args.retrain_epochs,
        table=args.table,
        directory=args.directory,
        seed=args.seed,
    )
