"""Custom Keras layers that keras-nas models use.

Every layer here is registered with `keras.saving.register_keras_serializable(package="keras_nas")`
and round-trips through `get_config`, so an exported `.keras` model loads with
`keras.saving.load_model(path, safe_mode=True)` in a process that imported keras and keras_nas.
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
