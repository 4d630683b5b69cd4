"""The per-epoch schedules of gradient-based search: the weights' learning rate (cosine),
GDAS's temperature and the weight of the collapse penalty, all set at the start of an epoch
from the epoch number, so that a resumed search continues them where it stopped."""

from __future__ import annotations

import math

import keras


def annealed_temperature(epoch: int, epochs: int, start: float = 10.0, end: float = 0.1) -> float:
    """GDAS's temperature at `epoch` (from 0): linear from `start` to `end` over `epochs`.

    Example:
    >>> [annealed_temperature(epoch, 5) for epoch in range(5)]
    [10.0, 7.525, 5.05, 2.575, 0.1]
    >>> annealed_temperature(0, 1)
    10.0
    >>> annealed_temperature(7, 5)  # Past the end: the end.
    0.1
    """
    if epochs <= 1:
        return float(start)
    return round(start - (start - end) * min(epoch, epochs - 1) / (epochs - 1), 12)


def cosine_learning_rate(epoch: int, epochs: int, peak: float, floor: float) -> float:
    """The learning rate at `epoch` (from 0) of a cosine decay from `peak` at epoch 0 to
    `floor` after `epochs` epochs (PyTorch's `CosineAnnealingLR`, as DARTS uses it).

    Example:
    >>> [round(cosine_learning_rate(epoch, 4, 0.025, 0.001), 5) for epoch in range(4)]
    [0.025, 0.02149, 0.013, 0.00451]
    """
    return floor + (peak - floor) * 0.5 * (1 + math.cos(math.pi * min(epoch, epochs) / epochs))


def linear_ramp(epoch: int, epochs: int, peak: float) -> float:
    """A weight that rises linearly from 0 at epoch 0 to `peak` at the last epoch (beta-DARTS
    raises its penalty so: little constraint while the weights are untrained).

    Example:
    >>> [linear_ramp(epoch, 5, 2.0) for epoch in range(5)]
    [0.0, 0.5, 1.0, 1.5, 2.0]
    """
    if epochs <= 1:
        return float(peak)
    return peak * min(epoch, epochs - 1) / (epochs - 1)


class EpochSchedules(keras.callbacks.Callback):
    """Sets a `RelaxedSupernet`'s learning rate, temperature and collapse weight at the start
    of each epoch.

    Args:
        epochs: The span of the schedules, in epochs.
        learning_rate: The weights' learning rate at epoch 0; `min_learning_rate` at the end.
        temperature: GDAS's `(start, end)` temperature.
        collapse_weight: The collapse penalty's weight at the last epoch (0: none).
    """

    def __init__(
        self,
        epochs: int,
        *,
        learning_rate: float,
        min_learning_rate: float,
        temperature: tuple[float, float],
        collapse_weight: float,
    ):
        super().__init__()
        self.epochs = epochs
        self.learning_rate, self.min_learning_rate = learning_rate, min_learning_rate
        self.temperature = temperature
        self.collapse_weight = collapse_weight

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        supernet = self.model
        supernet.optimizer.learning_rate.assign(
            cosine_learning_rate(epoch, self.epochs, self.learning_rate, self.min_learning_rate)
        )
        supernet.temperature.assign(annealed_temperature(epoch, self.epochs, *self.temperature))
        supernet.collapse_weight.assign(linear_ramp(epoch, self.epochs, self.collapse_weight))
