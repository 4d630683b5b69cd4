"""Training a one-shot supernet: a new path every step, and batch statistics per sub-network.

`SamplePaths` sets the supernet (`keras_nas.layers.set_path`) to a sampled architecture
before every training step; `recalibrate_batch_norm` gives a sub-network that inherited the
supernet's weights the batch-normalisation statistics of its own path.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np

from keras_nas.layers import set_path
from keras_nas.weight_sharing.registry import leaf_layers


class SamplePaths(keras.callbacks.Callback):
    """Before every training step, sets the supernet to a newly sampled architecture.

    Args:
        sample: Returns the values of the next architecture (e.g. a random one). If it has
            a `start_epoch(epoch)` method, as `PathSampler` does, that is called at the
            start of every epoch.
    """

    def __init__(self, sample: Callable[[], dict[str, Any]]):
        super().__init__()
        self.sample = sample

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        start_epoch = getattr(self.sample, "start_epoch", None)
        if start_epoch is not None:
            start_epoch(epoch)

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
