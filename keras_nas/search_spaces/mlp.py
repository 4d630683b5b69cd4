"""`MLPSpace`: stacks of dense blocks for tabular data and feature vectors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import keras_tuner
from keras import layers

from keras_nas.search_spaces.base import (
    SearchSpace,
    check_choices,
    check_positive_int,
    default_choice,
)
from keras_nas.search_spaces.blocks import op_token

NORMALIZATIONS = ("none", "batch", "layer")


class MLPSpace(SearchSpace):
    """Dense blocks: per layer the width, activation, normalisation and dropout, and the depth.

    Each block is Dense -> normalisation -> activation -> dropout. The default architecture
    (two blocks of 256 and 128 ReLU units with batch normalisation and dropout 0.1) is a strong
    baseline on tabular data.

    Example:
    >>> space = MLPSpace(input_shape=(64,), num_classes=10)
    >>> space.describe({"num_layers": 1})["summary"]
    'dense256-batch-relu-drop0.1'

    Args:
        input_shape: `(features,)`.
        num_classes: See `SearchSpace`.
        max_layers: The largest number of dense blocks; the depth is chosen in 1..max_layers.
        units: Width options of each block.
        activations: Activation options (any Keras activation name).
        dropouts: Dropout rate options, each in [0, 1).
        normalizations: Options among `"none"`, `"batch"` and `"layer"`.
        **kwargs: The output, optimizer and loss arguments of `SearchSpace`.

    Hyperparameters: `num_layers`, and for each block i: `layer_i/units`,
    `layer_i/activation`, `layer_i/normalization`, `layer_i/dropout` (active while
    `num_layers >= i`).

    Layer names: a block's layers name its activation and normalisation, e.g.
    `layer_1_relu_bn_dense`, `layer_1_relu_bn_bn` or `layer_2_gelu_dense` (no normalisation);
    the width only changes weight shapes, and dropout has no weights.
    """

    supported_ranks = (1,)

    def __init__(
        self,
        input_shape: tuple[int, ...],
        num_classes: int | None = None,
        *,
        max_layers: int = 3,
        units: Sequence[int] = (32, 64, 128, 256, 512),
        activations: Sequence[str] = ("relu", "gelu", "swish", "tanh"),
        dropouts: Sequence[float] = (0.0, 0.1, 0.25, 0.5),
        normalizations: Sequence[str] = NORMALIZATIONS,
        **kwargs: Any,
    ):
        super().__init__(input_shape, num_classes, **kwargs)
        self.max_layers = check_positive_int("max_layers", max_layers)
        self.units = check_choices("units", units, positive=True)
        self.activations = check_choices("activations", activations, kind=str)
        for activation in self.activations:
            _check_activation(activation)
        self.dropouts = check_choices("dropouts", dropouts, kind=(int, float))
        if any(not 0 <= rate < 1 for rate in self.dropouts):
            raise ValueError(
                "Every option of `dropouts` must be in [0, 1). "
                f"Received: dropouts={list(dropouts)}."
            )
        self.dropouts = tuple(float(rate) for rate in self.dropouts)
        self.normalizations = check_choices(
            "normalizations", normalizations, kind=str, allowed=NORMALIZATIONS
        )

    def declare_hyperparameters(self, hp: keras_tuner.HyperParameters) -> None:
        depths = list(range(1, self.max_layers + 1))
        hp.Choice("num_layers", depths, default=default_choice(tuple(depths), 2))
        for i in depths:
            with hp.conditional_scope("num_layers", depths[i - 1 :]):
                hp.Choice(
                    f"layer_{i}/units",
                    list(self.units),
                    default=default_choice(self.units, 512 // 2**i),
                )
                hp.Choice(
                    f"layer_{i}/normalization",
                    list(self.normalizations),
                    default=default_choice(self.normalizations, "batch"),
                )
                hp.Choice(
                    f"layer_{i}/activation",
                    list(self.activations),
                    default=default_choice(self.activations, "relu"),
                )
                hp.Choice(
                    f"layer_{i}/dropout",
                    list(self.dropouts),
                    default=default_choice(self.dropouts, 0.1),
                )

    def build_features(self, arch: dict[str, Any], inputs: keras.KerasTensor) -> keras.KerasTensor:
        x = inputs
        for i in range(1, arch["num_layers"] + 1):
            normalization = arch[f"layer_{i}/normalization"]
            activation = arch[f"layer_{i}/activation"]
            token = op_token(activation, bn=normalization == "batch", ln=normalization == "layer")
            name = f"layer_{i}_{token}"
            x = layers.Dense(
                arch[f"layer_{i}/units"], use_bias=normalization == "none", name=f"{name}_dense"
            )(x)
            if normalization == "batch":
                x = layers.BatchNormalization(name=f"{name}_bn")(x)
            elif normalization == "layer":
                x = layers.LayerNormalization(name=f"{name}_ln")(x)
            x = layers.Activation(activation, name=f"{name}_act")(x)
            if arch[f"layer_{i}/dropout"] > 0:
                x = layers.Dropout(arch[f"layer_{i}/dropout"], name=f"{name}_dropout")(x)
        return x

    def summarize(self, arch: dict[str, Any]) -> str:
        blocks = []
        for i in range(1, arch["num_layers"] + 1):
            parts = [f"dense{arch[f'layer_{i}/units']}"]
            if arch[f"layer_{i}/normalization"] != "none":
                parts.append(arch[f"layer_{i}/normalization"])
            parts.append(arch[f"layer_{i}/activation"])
            if arch[f"layer_{i}/dropout"] > 0:
                parts.append(f"drop{arch[f'layer_{i}/dropout']:g}")
            blocks.append("-".join(parts))
        return " | ".join(blocks)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "max_layers": self.max_layers,
            "units": list(self.units),
            "activations": list(self.activations),
            "dropouts": list(self.dropouts),
            "normalizations": list(self.normalizations),
        }


def _check_activation(name: str) -> None:
    try:
        keras.activations.get(name)
    except ValueError as error:
        raise ValueError(
            f"Unknown activation {name!r} in `activations`. Use the name of a Keras "
            "activation, such as 'relu', 'gelu', 'swish' or 'tanh'."
        ) from error
