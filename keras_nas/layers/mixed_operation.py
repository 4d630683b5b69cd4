"""`MixedOperation`: a choice relaxed for gradient-based search (DARTS, GDAS).

Where a one-shot supernet runs one branch of a choice (`PathChoice`), gradient-based search
runs a weighted mixture of them and learns the weights. The weights are an input of the
layer, not a variable of it: a search holds one vector of architecture parameters per
choice (a hyperparameter, or a choice of the relaxation such as a NASNet cell's edge),
turns it into weights once per training step (a softmax for DARTS, a Gumbel-softmax sample
for GDAS) and feeds the same weights to every layer of that choice, as NAS-Bench-201's
cells all share one set of edge weights.

- `sample=False` (DARTS; Liu, Simonyan and Yang, ICLR 2019) returns `sum_k w_k * op_k(x)`:
  every operation runs.
- `sample=True` (GDAS; Dong and Yang, CVPR 2019) runs only the operation of the largest
  weight, multiplies its output by that weight and adds the other weights as scalars, as
  GDAS's code does. With GDAS's straight-through weights (one-hot in value, the softmax's
  gradient) the output is that operation's, and every architecture parameter still
  receives a gradient.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras


class MixedOperation(keras.layers.Layer):
    """A weighted mixture of operations, the weights given with the input: a relaxed choice.

    Called on `[x, weights]`, where `weights` has shape `(1, len(branches))`: one row for the
    whole batch (a row per example is accepted, and the first one used).

    Example:
    >>> import numpy as np
    >>> inputs, weights = keras.Input((2,)), keras.Input((2,))
    >>> branches = {
    ...     "double": keras.Sequential([keras.Input((2,)), keras.layers.Rescaling(2.0)]),
    ...     "negate": keras.Sequential([keras.Input((2,)), keras.layers.Rescaling(-1.0)]),
    ... }
    >>> mixed = MixedOperation("edge/op", branches)
    >>> model = keras.Model([inputs, weights], mixed([inputs, weights]))
    >>> x = np.ones((1, 2), "float32")
    >>> model([x, np.array([[0.5, 0.5]], "float32")]).numpy().tolist()  # One row of weights.
    [[0.5, 0.5]]
    >>> model([x, np.array([[0.0, 1.0]], "float32")]).numpy().tolist()
    [[-1.0, -1.0]]

    Args:
        hp_name: The name of the choice this layer relaxes (`cell/edge_1/op`).
        branches: `{value: model}`, one Keras model per value of the choice, all
            with the same output shape (as `PathChoice` takes them).
        sample: Whether to run only the operation of the largest weight (GDAS) instead of
            all of them (DARTS).
        **kwargs: Passed to `keras.layers.Layer` (e.g. `name`).

    Raises:
        ValueError: If `branches` holds fewer than two operations.
    """

    def __init__(
        self,
        hp_name: str,
        branches: dict[Any, keras.Model],
        *,
        sample: bool = False,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        if len(branches) < 2:
            raise ValueError(
                f"A `MixedOperation` mixes at least two operations. Received: {len(branches)} "
                f"for {hp_name!r} ({list(branches)})."
            )
        self.hp_name = hp_name
        self.keys = list(branches)
        self.branches = list(branches.values())
        self.sample = bool(sample)

    @property
    def layers(self) -> list[keras.Model]:
        """The branch models (a registry finds the shared layers through this)."""
        return list(self.branches)

    def call(self, inputs: Sequence[Any]) -> Any:
        x, weights = inputs
        weights = weights[0]
        if not self.sample:
            return sum(weights[k] * branch(x) for k, branch in enumerate(self.branches))
        functions = [
            lambda x, k=k, branch=branch: weights[k] * branch(x)
            for k, branch in enumerate(self.branches)
        ]
        index = keras.ops.cast(keras.ops.argmax(weights), "int32")
        # As GDAS's code does, the other operations' weights are added as scalars: zero in
        # value under straight-through weights, they pass a gradient to every weight.
        others = keras.ops.sum(weights) - keras.ops.take(weights, index)
        return keras.ops.switch(index, functions, x) + others

    def compute_output_shape(self, input_shape: Sequence[Any]) -> Any:
        return self.branches[0].compute_output_shape(input_shape[0])
