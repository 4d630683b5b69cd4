"""EfficientNet-style compound scaling on scikit-learn's 8x8 digits.

    python examples/compound_scaling_digits.py --trials 6 --epochs 3

Searches the depth, width and resolution coefficients (alpha, beta, gamma) of a small CNN
under EfficientNet's rule `alpha * beta**2 * gamma**2 ~= 2`, with the best trial's
coefficients builds the scaled family phi = 0..3, and prints each member's parameters,
FLOPs and latency on this machine: each step of phi about doubles the FLOPs.
"""

from __future__ import annotations

import argparse

import keras

import keras_nas
from keras_nas.datasets import load_digits
from keras_nas.objectives import count_flops, measure_latency_ms
from keras_nas.search_spaces import CompoundScaling, round_filters, round_repeats, round_resolution


def digits_cnn(depth: float, width: float, resolution: float) -> keras.Model:
    """The base network, scaled by the three multipliers (all 1.0: the base itself)."""
    side = round_resolution(8, resolution)
    inputs = keras.Input((8, 8, 1))
    x = keras.layers.Resizing(side, side, name="resize")(inputs)  # The data stays 8x8.
    for stage, (channels, repeats) in enumerate([(16, 1), (32, 2)]):
        for block in range(round_repeats(repeats, depth)):
            x = keras.layers.Conv2D(
                round_filters(channels, width),
                3,
                padding="same",
                use_bias=False,
                name=f"stage_{stage}_conv_{block}",
            )(x)
            x = keras.layers.BatchNormalization(name=f"stage_{stage}_bn_{block}")(x)
            x = keras.layers.Activation("relu")(x)
        x = keras.layers.MaxPooling2D(name=f"stage_{stage}_pool")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(10, activation="softmax", name="classifier")(x)
    model = keras.Model(inputs, outputs, name="digits_cnn")
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def main(
    *, max_trials: int = 6, epochs: int = 3, directory: str = "keras_nas_runs", seed: int = 0
) -> list[dict[str, float]]:
    """Searches the coefficients, then prints and returns the scaled family's costs."""
    keras.utils.set_random_seed(seed)
    (x_train, y_train), (x_val, y_val) = load_digits(seed=seed)
    space = CompoundScaling(digits_cnn)
    tuner = keras_nas.EvolutionarySearch(
        space,
        objective="val_accuracy",
        max_trials=max_trials,
        population_size=max(1, max_trials // 2),
        sample_size=1,
        seed=seed,
        directory=directory,
        project_name="compound_scaling",
        overwrite=True,
    )
    tuner.search(x_train, y_train, validation_data=(x_val, y_val), epochs=epochs)
    best = tuner.oracle.get_best_trials(1)[0].hyperparameters.values
    print("Best coefficients:", space.describe(best)["summary"])
    family = []
    for phi, model in enumerate(space.scaled_family(phis=(0, 1, 2, 3), values=best)):
        member = {
            "phi": phi,
            "params": model.count_params(),
            "flops": count_flops(model),
            "latency_ms": measure_latency_ms(model),
        }
        family.append(member)
        print(
            f"phi={phi}: {member['params']:,} parameters, {member['flops']:,} FLOPs, "
            f"{member['latency_ms']:.3f} ms"
        )
    return family


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=6)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--directory", default="keras_nas_runs")
    args = parser.parse_args()
    main(max_trials=args.trials, epochs=args.epochs, directory=args.directory)
