"""Layers for the `none` operation of cell spaces.

The models that keras-nas spaces build hold only standard Keras layers, so a saved `.keras`
model loads with `keras.saving.load_model(path, safe_mode=True)` in a process that imported
nothing but keras: a zero tensor comes from `zeros_like`, a `Rescaling(0.0)` layer. `Zeros`,
the custom layer that did this before, stays registered (package `keras_nas`) for supernets
and for models saved by earlier versions, which load after `import keras_nas.layers`.
"""

from __future__ import annotations

from typing import Any

import keras


@keras.saving.register_keras_serializable(package="keras_nas")
class Zeros(keras.layers.Layer):
    """Returns zeros of the input's shape and dtype: the `none` operation of cell spaces.

    A cell node whose incoming edges are all `none` holds zeros; this layer materialises that
    tensor where a later layer needs it. It has no weights, and no gradient flows through it.

    Example:
    >>> import numpy as np
    >>> keras.ops.convert_to_numpy(Zeros()(np.ones((2, 3), dtype="float32"))).tolist()
    [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    """

    def call(self, inputs: Any) -> Any:
        return keras.ops.zeros_like(inputs)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return input_shape


def zeros_like(inputs: Any, *, name: str | None = None) -> Any:
    """Zeros of the shape and dtype of `inputs`, from a standard Keras layer.

    A `Rescaling(0.0)` layer (no weights; it multiplies by zero), so that a model holding it
    needs nothing of keras-nas to load. An input that is infinite or NaN gives NaN, where it
    would give 0 from `Zeros`; a network that computes such values has diverged anyway.

    Example:
    >>> import numpy as np
    >>> inputs = keras.Input((3,))
    >>> model = keras.Model(inputs, zeros_like(inputs, name="node_zeros"))
    >>> model.predict(np.ones((2, 3), dtype="float32"), verbose=0).tolist()
    [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    >>> type(model.get_layer("node_zeros")).__name__
    'Rescaling'
    """
    return keras.layers.Rescaling(0.0, name=name)(inputs)
