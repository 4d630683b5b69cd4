"""Training a one-shot supernet: a new path every step.

`SamplePaths` sets the supernet (`keras_nas.layers.set_path`) to a sampled architecture
before every training step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras

from keras_nas.layers import set_path


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
