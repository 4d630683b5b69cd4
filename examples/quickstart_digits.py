"""Architecture search on scikit-learn's 8x8 digits: `keras-nas demo` as a script to edit.

    python examples/quickstart_digits.py --trials 8 --epochs 6

The data ships with scikit-learn, so nothing is downloaded. The search space is keras-nas's
`MacroSpace`; the strategy is regularized evolution (`keras_nas.ReinforceSearch`, or any
KerasTuner tuner, works the same way). `tuner.search` takes exactly what `model.fit` takes.
"""

from __future__ import annotations

import argparse
import os

import keras

import keras_nas
from keras_nas.datasets import load_digits


def main(
    *, max_trials: int = 8, epochs: int = 6, directory: str = "keras_nas_runs", seed: int = 0
) -> keras.Model:
    """Searches, prints the best architecture and returns the best trained model."""
    keras.utils.set_random_seed(seed)
    (x_train, y_train), (x_val, y_val) = load_digits(seed=seed)

    space = keras_nas.search_spaces.MacroSpace(
        input_shape=(8, 8, 1), num_classes=10, widths=(16, 32, 64), depths=(1, 2)
    )
    tuner = keras_nas.EvolutionarySearch(
        space,
        objective="val_accuracy",
        max_trials=max_trials,
        population_size=4,  # Half of 8 trials random, the rest evolved.
        sample_size=2,
        seed=seed,
        directory=directory,
        project_name="quickstart_digits",
        overwrite=True,
    )
    log_dir = os.path.join(directory, "quickstart_digits", "tensorboard")
    tuner.search(
        x_train,
        y_train,
        validation_data=(x_val, y_val),
        epochs=epochs,
        callbacks=[
            keras.callbacks.TensorBoard(log_dir),
            keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=3),
        ],
    )

    best = tuner.oracle.get_best_trials(1)[0]
    print(f"Best val_accuracy {best.score:.4f}:", space.describe(best.hyperparameters.values))
    model = tuner.get_best_models(1)[0]
    model.save(os.path.join(directory, "quickstart_digits", "best_model.keras"))
    return model


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--directory", default="keras_nas_runs")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    main(max_trials=args.trials, epochs=args.epochs, directory=args.directory, seed=args.seed)
