"""One-shot architecture search on scikit-learn's 8x8 digits: train a supernet once, search it.

    python examples/one_shot_digits.py --supernet-epochs 10 --trials 100 --retrain-epochs 10
    python examples/one_shot_digits.py --space macro
    python examples/one_shot_digits.py --path-sampling fair --supernet-schedule cosine
    python examples/one_shot_digits.py --space macro --path-sampling progressive
    python examples/one_shot_digits.py --retrain-top-k 5

`keras_nas.OneShotSearch` trains the supernet of the space (NAS-Bench-201: every operation on
every edge; macro: every block type and kernel at every position, at the widest width, with
Once-for-All's elastic width), one random architecture per training step (`--path-sampling`:
`uniform`, `sandwich`, `fair` or, for macro, `progressive`, see
`keras_nas.tuners.one_shot.PathSampler`), at a constant learning rate or one decayed by a cosine
(`--supernet-schedule`); then evolution scores `--trials` architectures with the supernet's
weights and no training (a second or so each), then the best `--retrain-top-k` (3) are trained
from scratch. The best is saved as a plain `.keras` model with its inherited weights.
"""

from __future__ import annotations

import argparse
import os

import keras

import keras_nas
from keras_nas.datasets import load_digits
from keras_nas.tuners.one_shot.sampling import RULES
from keras_nas.tuners.one_shot.search import SCHEDULES


def make_space(name: str) -> keras_nas.search_spaces.SearchSpace:
    """The searched space: `"nasbench201"` (the cell) or `"macro"` (blocks and widths)."""
    if name == "nasbench201":
        return keras_nas.search_spaces.NASBench201Space(
            input_shape=(8, 8, 1), num_classes=10, cells_per_stage=1, channels=16
        )
    return keras_nas.search_spaces.MacroSpace(
        input_shape=(8, 8, 1),
        num_classes=10,
        num_stages=2,
        block_types=("conv", "mbconv"),
        kernels=(3, 5),
        widths=(16, 32),
        depths=(1, 2),
        expansions=(3,),
    )


def main(
    *,
    space: str = "nasbench201",
    supernet_epochs: int = 10,
    max_trials: int = 100,
    retrain_epochs: int = 10,
    retrain_top_k: int = 3,
    path_sampling: str = "uniform",
    supernet_schedule: str = "constant",
    directory: str = "keras_nas_runs",
    seed: int = 0,
) -> keras_nas.OneShotSearch:
    """Searches, retrains the top `retrain_top_k`, saves the best one-shot model; returns the
    tuner."""
    keras.utils.set_random_seed(seed)
    (x_train, y_train), (x_val, y_val) = load_digits(seed=seed)
    tuner = keras_nas.OneShotSearch(
        make_space(space),
        max_trials=max_trials,
        supernet_epochs=supernet_epochs,
        path_sampling=path_sampling,
        supernet_schedule=supernet_schedule,
        seed=seed,
        directory=directory,
        project_name=f"one_shot_digits_{space}",
    )
    tuner.search(x_train, y_train, validation_data=(x_val, y_val), batch_size=32)
    for result in tuner.retrain(top_k=retrain_top_k, epochs=retrain_epochs):
        print(result)
    model = tuner.get_best_models(1)[0]  # A plain Keras model with the supernet's weights.
    model.save(os.path.join(tuner.project_dir, "best_one_shot.keras"))
    return tuner


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--space", choices=["nasbench201", "macro"], default="nasbench201")
    parser.add_argument("--supernet-epochs", type=int, default=10)
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--retrain-epochs", type=int, default=10)
    parser.add_argument("--retrain-top-k", type=int, default=3)
    parser.add_argument("--path-sampling", choices=RULES, default="uniform")
    parser.add_argument("--supernet-schedule", choices=SCHEDULES, default="constant")
    parser.add_argument("--directory", default="keras_nas_runs")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    main(
        space=args.space,
        supernet_epochs=args.supernet_epochs,
        max_trials=args.trials,
        retrain_epochs=args.retrain_epochs,
        retrain_top_k=args.retrain_top_k,
        path_sampling=args.path_sampling,
        supernet_schedule=args.supernet_schedule,
        directory=args.directory,
        seed=args.seed,
    )
