"""Gradient-based architecture search (DARTS or GDAS) on digits: a NAS-Bench-201 cell, NASNet
cells or MobileNet blocks.

    python examples/gradient_search_digits.py --method darts --epochs 20
    python examples/gradient_search_digits.py --method gdas --no-collapse-control
    python examples/gradient_search_digits.py --table ../shared/data/nasbench201_test_acc.csv
    python examples/gradient_search_digits.py --space nasnet
    python examples/gradient_search_digits.py --space mobilenet --cost-weight 1.0

`keras_nas.DifferentiableSearch` trains the relaxed supernet (every operation of every choice,
weighted by learned architecture parameters) on the training split and the architecture
parameters on the validation split, then records the derived architecture as a trial, trains
it from scratch with two seeds and saves it as a plain `.keras` model. With `--table` (the
NAS-Bench-201 CSV), it also prints the NAS-Bench-201 cell's CIFAR-10 test accuracy in the
benchmark. `--cost-weight` adds FBNet's expected-FLOPs term (not with `--space nasnet`).
TensorBoard: `tensorboard --logdir keras_nas_runs/gradient_search_<space>_<method>/tensorboard`.
"""

from __future__ import annotations

import argparse
import os

import keras

import keras_nas
from keras_nas.datasets import load_digits
from keras_nas.tuners.differentiable import METHODS

SPACES = ("nasbench201", "nasnet", "mobilenet")


def make_space(name: str = "nasbench201") -> keras_nas.search_spaces.SearchSpace:
    """The searched space, small enough for 8x8 digits on a CPU."""
    spaces = keras_nas.search_spaces
    if name == "nasnet":
        return spaces.NASNetCellSpace(
            input_shape=(8, 8, 1), num_classes=10, num_blocks=3, cells_per_stage=1, channels=8
        )
    if name == "mobilenet":
        return spaces.MobileNetSpace(
            input_shape=(8, 8, 1),
            num_classes=10,
            depths=(1, 2),
            kernels=(3, 5),
            expansions=(3, 6),
            width_multipliers=(0.5,),
        )
    return spaces.NASBench201Space(
        input_shape=(8, 8, 1), num_classes=10, cells_per_stage=1, channels=8
    )


def main(
    *,
    method: str = "darts",
    space_name: str = "nasbench201",
    cost_weight: float = 0.0,
    epochs: int = 20,
    collapse_control: bool = True,
    retrain_epochs: int = 15,
    table: str | None = None,
    directory: str = "keras_nas_runs",
    seed: int = 0,
) -> keras_nas.DifferentiableSearch:
    """Searches, retrains the derived cell with two seeds, saves it; returns the tuner."""
    (x_train, y_train), (x_val, y_val) = load_digits(seed=seed)
    space = make_space(space_name)
    tuner = keras_nas.DifferentiableSearch(
        space,
        method,
        epochs=epochs,
        collapse_control=collapse_control,
        cost_weight=cost_weight,
        architecture_learning_rate=3e-3,  # Digits' epochs are short: see the guide.
        seed=seed,
        directory=directory,
        project_name=f"gradient_search_{space_name}_{method}",
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
    values = tuner.get_best_hyperparameters(1)[0].values
    print(f"derived: {space.describe(values)['summary']}")
    if table is not None and space_name == "nasbench201":
        cell = space.to_arch_string(values)
        accuracy = keras_nas.search_spaces.load_nasbench201_table(table)[cell]["cifar10"]
        print(f"its CIFAR-10 test accuracy in NAS-Bench-201: {accuracy:.2f}")
    for result in tuner.retrain(top_k=1, epochs=retrain_epochs, seeds=[seed, seed + 1]):
        print(result)
    tuner.get_best_models(1)[0].save(os.path.join(tuner.project_dir, "derived.keras"))
    return tuner


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--method", choices=METHODS, default="darts")
    parser.add_argument("--space", choices=SPACES, default="nasbench201")
    parser.add_argument("--cost-weight", type=float, default=0.0)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--no-collapse-control", action="store_true")
    parser.add_argument("--retrain-epochs", type=int, default=15)
    parser.add_argument("--table", help="the NAS-Bench-201 CSV, to look the cell up")
    parser.add_argument("--directory", default="keras_nas_runs")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    main(
        method=args.method,
        space_name=args.space,
        cost_weight=args.cost_weight,
        epochs=args.epochs,
        collapse_control=not args.no_collapse_control,
        retrain_epochs=args.retrain_epochs,
        table=args.table,
        directory=args.directory,
        seed=args.seed,
    )
