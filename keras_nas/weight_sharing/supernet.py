"""The pieces of a one-shot supernet: a layer that runs one of several paths, and its helpers.

A supernet holds every operation of a search space at once. Each choice of the space becomes
a `PathChoice` layer whose branches are small Keras models, one per value of the choice,
built with exactly the layer names the plain sub-network uses. Training samples one path per
step (`SamplePaths`); a sub-network then inherits its weights through a
`SharedLayerRegistry` by those names, so the exported sub-network is a plain Keras model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np

from keras_nas.layers import Zeros
from keras_nas.weight_sharing.registry import leaf_layers


class PathChoice(keras.layers.Layer):
    """Runs one of its branches: the one for the current values of some hyperparameters.

    `set_value(key)` picks the branch; it sets a variable, so a compiled (traced) training
    step follows the change without being traced again. Only the chosen branch runs, so only
    its weights receive gradients. Several keys may share one branch (a block that runs for
    every depth from 3 up, say); a branch may itself hold `PathChoice` layers.

    Example:
    >>> inputs = keras.Input((3,))
    >>> branches = {
    ...     "double": PathChoice.branch(inputs.shape, lambda x: keras.layers.Rescaling(2.0)(x)),
    ...     "none": PathChoice.branch(inputs.shape, None),
    ... }
    >>> choice = PathChoice("cell/op", branches)
    >>> model = keras.Model(inputs, choice(inputs))
    >>> x = np.ones((1, 3), "float32")
    >>> model(x).numpy().tolist()
    [[2.0, 2.0, 2.0]]
    >>> choice.set_value("none")
    >>> model(x).numpy().tolist()
    [[0.0, 0.0, 0.0]]

    Args:
        hp_names: The name of the hyperparameter this layer follows, or several names; then
            the keys of `branches` are tuples of their values, in this order.
        branches: `{key: model}`, one Keras model per key, all with the same output shape.
        **kwargs: Passed to `keras.layers.Layer` (e.g. `name`).
    """

    def __init__(
        self, hp_names: str | Sequence[str], branches: dict[Any, keras.Model], **kwargs: Any
    ):
        super().__init__(**kwargs)
        self.hp_names = (hp_names,) if isinstance(hp_names, str) else tuple(hp_names)
        self.keys = list(branches)
        self.branches: list[keras.Model] = []
        self._branch_of_key: dict[Any, int] = {}
        for key, branch in branches.items():
            if not any(branch is known for known in self.branches):
                self.branches.append(branch)
            self._branch_of_key[key] = next(
                i for i, known in enumerate(self.branches) if known is branch
            )
        self.index = self.add_weight(
            shape=(), dtype="int32", initializer="zeros", trainable=False, name="index"
        )

    @staticmethod
    def branch(input_shape: Sequence[int | None], build: Callable | None) -> keras.Model:
        """A branch model: `build(x)` on an input of `input_shape`; `None` builds zeros."""
        inputs = keras.Input(tuple(input_shape)[1:])
        if build is None:
            return keras.Model(inputs, Zeros()(inputs))
        outputs = build(inputs)
        if outputs is None:
            outputs = Zeros()(inputs)
        elif outputs is inputs:
            outputs = keras.layers.Identity()(inputs)
        return keras.Model(inputs, outputs)

    @property
    def layers(self) -> list[keras.Model]:
        """The branch models (the registry finds the shared layers through this)."""
        return list(self.branches)

    def set_value(self, key: Any) -> None:
        """Makes the branch of `key` the one that runs.

        Raises:
            ValueError: If `key` is not one of the branches' keys.
        """
        if key not in self._branch_of_key:
            raise ValueError(
                f"The choice {self.hp_names} has no branch for {key!r}; its keys are {self.keys}."
            )
        self.index.assign(self._branch_of_key[key])

    def set_from(self, values: dict[str, Any]) -> None:
        """Picks the branch of the architecture `values`. A choice with a hyperparameter
        absent from `values` is inactive in this architecture (a block beyond the depth, say)
        and keeps its branch."""
        if any(name not in values for name in self.hp_names):
            return
        key = tuple(values[name] for name in self.hp_names)
        self.set_value(key[0] if len(key) == 1 else key)

    def call(self, inputs):
        functions = [lambda x, branch=branch: branch(x) for branch in self.branches]
        return keras.ops.switch(self.index, functions, inputs)

    def compute_output_shape(self, input_shape):
        return self.branches[0].compute_output_shape(input_shape)


def path_choices(model: keras.Model) -> list[PathChoice]:
    """The `PathChoice` layers of a supernet, in nested models and branches too."""
    found = []
    for layer in model.layers:
        if isinstance(layer, PathChoice):
            found.append(layer)
            for branch in layer.branches:
                found.extend(path_choices(branch))
        elif isinstance(layer, keras.Model):
            found.extend(path_choices(layer))
    return found


def set_path(model: keras.Model, values: dict[str, Any]) -> None:
    """Sets every `PathChoice` of the supernet to the values of an architecture.

    Choices whose hyperparameters are absent from `values` (inactive) keep their branch.
    """
    for choice in path_choices(model):
        choice.set_from(values)


class SamplePaths(keras.callbacks.Callback):
    """Before every training step, sets the supernet to a newly sampled architecture.

    Args:
        sample: Returns the values of the next architecture (e.g. a random one).
    """

    def __init__(self, sample: Callable[[], dict[str, Any]]):
        super().__init__()
        self.sample = sample

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        set_path(self.model, self.sample())


def recalibrate_batch_norm(model: keras.Model, batches: Sequence[np.ndarray]) -> int:
    """Re-estimates the moving statistics of every BatchNormalization layer on `batches`.

    A sub-network that inherits supernet weights needs statistics of its own path; they are
    set to the exact average of the batch statistics over `batches`, computed with the model
    in training mode (no weight changes: only the normalisation statistics move).

    Returns:
        The number of BatchNormalization layers recalibrated.
    """
    norms = [
        layer for layer in leaf_layers(model) if isinstance(layer, keras.layers.BatchNormalization)
    ]
    if not norms or not batches:
        return 0
    momenta = [norm.momentum for norm in norms]
    try:
        for count, batch in enumerate(batches):
            for norm in norms:
                # Cumulative average: the k-th batch (from 0) gets weight 1 / (k + 1).
                norm.momentum = count / (count + 1)
            model(batch, training=True)
    finally:
        for norm, momentum in zip(norms, momenta, strict=True):
            norm.momentum = momentum
    return len(norms)
