"""The layers through which a supernet follows an architecture.

A supernet holds every operation of a search space at once. Each choice of the space becomes
a `PathChoice` layer whose branches are small Keras models, one per value of the choice,
built with exactly the layer names the plain sub-network uses, so a sub-network inherits its
weights by those names and the exported sub-network is a plain Keras model. A choice of width
is a `ChannelMask` instead: the layers hold the widest weights and a narrower sub-network
inherits their leading slice (Once-for-All's elastic width); a choice of odd kernel sizes can
be one elastic convolution (`keras_nas.layers.elastic_kernel`) whose smaller kernels are the
centre of the largest. `set_path` sets all of them to one architecture.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import keras

from keras_nas.layers.elastic_kernel import is_elastic_kernel
from keras_nas.layers.zeros import Zeros


class PathChoice(keras.layers.Layer):
    """Runs one of its branches: the one for the current values of some hyperparameters.

    `set_value(key)` picks the branch; it sets a variable, so a compiled (traced) training
    step follows the change without being traced again. Only the chosen branch runs, so only
    its weights receive gradients. Several keys may share one branch (a block that runs for
    every depth from 3 up, say); a branch may itself hold `PathChoice` layers.

    Example:
    >>> import numpy as np
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
        # The branch last set through `set_value`, so `set_path` can walk the active path.
        self._active = 0

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
        self._active = self._branch_of_key[key]
        self.index.assign(self._active)

    @property
    def active_branch(self) -> keras.Model:
        """The branch that the last `set_value` (or `set_from`) picked."""
        return self.branches[self._active]

    def set_from(self, values: dict[str, Any]) -> None:
        """Picks the branch of the architecture `values`. A choice with a hyperparameter
        absent from `values` is inactive in this architecture (a block beyond the depth, say)
        and keeps its branch."""
        key = _key_of(self.hp_names, values)
        if key is not None:
            self.set_value(key)

    def call(self, inputs):
        functions = [lambda x, branch=branch: branch(x) for branch in self.branches]
        return keras.ops.switch(self.index, functions, inputs)

    def compute_output_shape(self, input_shape):
        return self.branches[0].compute_output_shape(input_shape)


def optional_path(x, hp_name: str, build: Callable, *, name: str):
    """`build(x)` where the Boolean hyperparameter `hp_name` is true, `x` where it is false:
    a `PathChoice` with the two branches (a supernet's squeeze-excite, say).

    Example:
    >>> import numpy as np
    >>> inputs = keras.Input((2,))
    >>> doubled = optional_path(inputs, "double", lambda t: keras.layers.Rescaling(2.0)(t),
    ...                         name="double_choice")
    >>> model = keras.Model(inputs, doubled)
    >>> set_path(model, {"double": False})
    >>> model(np.ones((1, 2), "float32")).numpy().tolist()
    [[1.0, 1.0]]
    """
    branches = {
        True: PathChoice.branch(x.shape, build),
        False: PathChoice.branch(x.shape, lambda t: t),
    }
    return PathChoice(hp_name, branches, name=name)(x)


class ChannelMask(keras.layers.Layer):
    """Keeps the first channels of its input, as many as the current values of some
    hyperparameters give, and zeroes the others: Once-for-All's elastic width.

    A supernet layer holds the weights of the widest choice; a narrower sub-network uses the
    leading slice of them (`SharedLayerRegistry.restore(model, sliced=True)`). Zeroing the
    channels beyond the active width after every normalisation and activation makes the
    supernet compute exactly what that sub-network computes: the next layer's weights for the
    zeroed channels never contribute. Like `PathChoice`, the width lives in a variable, so a
    traced training step follows `set_value` without being traced again. With `channels`,
    the input is first padded with zero channels or cut to that number (a residual
    connection from a tensor of another width; only zeroed channels are cut). A width of 0
    zeroes everything: a connection that the active sub-network does not have.

    Example:
    >>> import numpy as np
    >>> mask = ChannelMask("stage_1/width", {2: 2, 3: 3}, channels=4)
    >>> x = np.ones((1, 3), "float32")
    >>> mask.set_value(2)
    >>> mask(x).numpy().tolist()
    [[1.0, 1.0, 0.0, 0.0]]

    Args:
        hp_names: The name of the hyperparameter the width follows, or several names; then
            the keys of `widths` are tuples of their values, in this order.
        widths: `{key: number of channels kept}`.
        channels: Pad or cut the input to this many channels first; `None` keeps them.
        **kwargs: Passed to `keras.layers.Layer` (e.g. `name`).
    """

    def __init__(
        self,
        hp_names: str | Sequence[str],
        widths: dict[Any, int],
        channels: int | None = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.hp_names = (hp_names,) if isinstance(hp_names, str) else tuple(hp_names)
        self.widths = dict(widths)
        self.channels = channels
        self.width = self.add_weight(
            shape=(),
            dtype="int32",
            initializer=keras.initializers.Constant(max(self.widths.values())),
            trainable=False,
            name="width",
        )

    def set_value(self, key: Any) -> None:
        """Makes the width of `key` the active one.

        Raises:
            ValueError: If `key` is not one of the keys of `widths`.
        """
        if key not in self.widths:
            raise ValueError(
                f"The width of {self.hp_names} is not known for {key!r}; its keys are "
                f"{list(self.widths)}."
            )
        self.width.assign(self.widths[key])

    def set_from(self, values: dict[str, Any]) -> None:
        """Sets the width of the architecture `values` (kept while a name is absent)."""
        key = _key_of(self.hp_names, values)
        if key is not None:
            self.set_value(key)

    def call(self, inputs):
        padding = (self.channels or inputs.shape[-1]) - inputs.shape[-1]
        if padding > 0:
            inputs = keras.ops.pad(inputs, [[0, 0]] * (len(inputs.shape) - 1) + [[0, padding]])
        elif padding < 0:
            inputs = inputs[..., : self.channels]
        kept = keras.ops.arange(inputs.shape[-1]) < self.width
        return inputs * keras.ops.cast(kept, inputs.dtype)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.channels or input_shape[-1])


def _follows_the_path(layer: keras.layers.Layer) -> bool:
    """Whether `layer` changes with the architecture: a `PathChoice`, a `ChannelMask` or an
    elastic kernel."""
    return isinstance(layer, (PathChoice, ChannelMask)) or is_elastic_kernel(layer)


def path_choices(model: keras.Model) -> list[keras.layers.Layer]:
    """The `PathChoice`, `ChannelMask` and elastic-kernel layers of a supernet, in nested
    models and branches too."""
    found = []
    for layer in model.layers:
        if _follows_the_path(layer):
            found.append(layer)
        if isinstance(layer, PathChoice):
            for branch in layer.branches:
                found.extend(path_choices(branch))
        elif isinstance(layer, keras.Model):
            found.extend(path_choices(layer))
    return found


def set_path(model: keras.Model, values: dict[str, Any]) -> None:
    """Sets the supernet's `PathChoice`, `ChannelMask` and elastic-kernel layers to an
    architecture.

    Only the layers on the architecture's path are set: a branch that does not run keeps
    its choices and masks (setting them all cost about 30 ms per step on a MacroSpace
    supernet with 300 of them). Choices whose hyperparameters are absent from `values`
    (inactive) keep their branch.
    """
    for layer in model.layers:
        if _follows_the_path(layer):
            layer.set_from(values)
        if isinstance(layer, PathChoice):
            set_path(layer.active_branch, values)
        elif isinstance(layer, keras.Model):
            set_path(layer, values)


def _key_of(hp_names: tuple[str, ...], values: dict[str, Any]) -> Any:
    """The key of a choice in `values`: one value, a tuple of several, or `None` where a
    name is absent (the choice is inactive in that architecture)."""
    if any(name not in values for name in hp_names):
        return None
    key = tuple(values[name] for name in hp_names)
    return key[0] if len(key) == 1 else key
