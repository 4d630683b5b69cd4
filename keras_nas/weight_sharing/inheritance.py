"""Inheriting shared weights: `InheritWeights`, the callback that makes a candidate start
from, and feed, shared weights, and `recalibrate_batch_norm`, which gives a sub-network that
inherited a supernet's weights the batch-normalisation statistics of its own path."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np

from keras_nas.weight_sharing.registry import SharedLayerRegistry, leaf_layers


class InheritWeights(keras.callbacks.Callback):
    """Starts training from the registry's weights and stores the trained weights back.

    At the start of `fit`, every layer of the model that the registry holds takes the
    registry's weights (`SharedLayerRegistry.restore`); the other layers keep their fresh
    initial weights. At the end of `fit`, the model's weights go back to the registry
    (`SharedLayerRegistry.store`), for the candidates that follow. `NASTuner(...,
    weight_sharing=True)` adds this callback to every trial.

    After `fit`, `keys` lists the keys of the model's layers with weights, `inherited` those
    restored and `stored` those stored. KerasTuner deep copies the callbacks of each trial; a
    copy shares the registry and these lists with the original, so the tuner can read them
    after the trial.

    Example:
    >>> import numpy as np
    >>> registry = SharedLayerRegistry()
    >>> def build():
    ...     model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, name="out")])
    ...     model.compile("sgd", "mse")
    ...     return model
    >>> x, y = np.ones((8, 3)), np.ones((8, 1))
    >>> first = InheritWeights(registry)
    >>> _ = build().fit(x, y, epochs=1, verbose=0, callbacks=[first])
    >>> first.inherited, first.stored
    ([], ['out:Dense:3x1,1'])
    >>> second = InheritWeights(registry)
    >>> _ = build().fit(x, y, epochs=1, verbose=0, callbacks=[second])
    >>> second.inherited
    ['out:Dense:3x1,1']

    Args:
        registry: The registry to read from and write to.
        pending: Where the trained weights' files wait until the tuner commits them
            (`SharedLayerRegistry.store`); `None` writes them to the registry's directory
            at once.
    """

    def __init__(self, registry: SharedLayerRegistry, pending: str | None = None):
        super().__init__()
        self.registry = registry
        self.pending = pending
        self.inherited: list[str] = []
        self.stored: list[str] = []
        self.keys: list[str] = []

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.keys[:] = self.registry.keys_of(self.model)
        self.inherited[:] = self.registry.restore(self.model)

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        self.stored[:] = self.registry.store(self.model, pending=self.pending)

    def __deepcopy__(self, memo: dict) -> InheritWeights:
        copy = InheritWeights(self.registry, self.pending)
        copy.keys, copy.inherited, copy.stored = self.keys, self.inherited, self.stored
        return copy


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
