"""Stopping training when its time is up (`max_time`, `max_trial_seconds`;
`keras_nas.oracles.time_limits`): a trial's within an epoch, a supernet's between epochs."""

from __future__ import annotations

import time
from collections.abc import Callable

import keras


class TrialDeadline(keras.callbacks.Callback):
    """Stops training after the first batch that ends past `deadline` (on `clock`); the
    epoch then ends as usual (validation, the epoch report), so the oracle records why.

    Example:
    >>> import numpy as np
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> model.compile(loss="mse")
    >>> history = model.fit(np.ones((64, 2)), np.ones(64), batch_size=8, epochs=3, verbose=0,
    ...                     callbacks=[TrialDeadline(deadline=0.0)])
    >>> len(history.history["loss"])  # Stopped in the first epoch, after one batch.
    1
    """

    def __init__(self, deadline: float | None, clock: Callable[[], float] = time.monotonic):
        super().__init__()
        self.deadline, self.clock = deadline, clock

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self.deadline is not None and self.clock() >= self.deadline:
            self.model.stop_training = True


class SupernetBudget(keras.callbacks.Callback):
    """Stops a supernet's training at the end of an epoch when another, as long as this
    one, would not end within the search's `max_time`; the epoch is saved first (put this
    callback after the one that saves it). The search's sub-networks are scored next.

    Args:
        limits: The oracle's `keras_nas.oracles.time_limits.TimeLimits`.
        announce: Prints why training stopped.
        directory: The project directory, where the time spent is written after each
            epoch (`time.json`), so that a resumed search keeps counting it.
    """

    def __init__(self, limits, announce: Callable[[str], None], directory: str):
        super().__init__()
        self.limits, self.announce, self.directory = limits, announce, directory
        self._epoch_start = 0.0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._epoch_start = time.monotonic()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.limits.write(self.directory)
        left = self.limits.remaining()
        took = time.monotonic() - self._epoch_start
        if left is not None and took > left:
            self.model.stop_training = True
            self.announce(
                f"The supernet's training stopped after epoch {epoch + 1}: another epoch "
                f"(about {took:.0f} s) would not end within the {max(left, 0):.0f} s left of "
                f"max_time={self.limits.max_time:g} s."
            )
