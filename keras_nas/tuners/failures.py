"""Failed candidates: the reasons a trial fails, told apart so that the search can go on.

A candidate that cannot be built, whose loss becomes NaN or infinite, or that runs out of
memory is a failed trial (`keras_tuner.errors.FailedTrialError`, never retried): its reason
is the last line of the trial's `message` in `trial.json`, and the search moves on to the
next candidate. Only `max_consecutive_failed_trials` failures in a row stop the search
(`NASOracle`), with every reason listed.
"""

from __future__ import annotations

import math
from typing import Any

import keras
import tensorflow as tf
from keras_tuner import errors


class TrialGuard(keras.callbacks.Callback):
    """Fails the trial as soon as the training loss is not finite; marks when training began.

    `NASTuner` adds one to every trial. `training_started` is true once `fit` has begun, so an
    error before that came from building or compiling the candidate, or from preparing the
    data for it. KerasTuner deep copies the callbacks
    of each trial; a copy shares `training_started` with the original (one list), so the tuner
    reads it from the original after the trial.

    Example:
    >>> import numpy as np
    >>> dense = keras.layers.Dense(1, kernel_initializer="zeros")  # predicts 0: the loss is 1e40
    >>> model = keras.Sequential([keras.Input((1,)), dense])
    >>> model.compile("sgd", "mse")
    >>> x = np.full((4, 1), 1e20)
    >>> try:
    ...     model.fit(x, x, epochs=1, verbose=0, callbacks=[TrialGuard()])
    ... except errors.FailedTrialError as error:
    ...     print(error)
    The training loss became inf at epoch 1, batch 1: the candidate diverged. ...
    """

    def __init__(self):
        super().__init__()
        self._started: list[bool] = [False]
        self._epoch = 0

    @property
    def training_started(self) -> bool:
        return self._started[0]

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._started[0] = True

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            raise errors.FailedTrialError(
                f"The training loss became {float(loss)} at epoch {self._epoch + 1}, batch "
                f"{batch + 1}: the candidate diverged. A lower learning rate, or normalised "
                "inputs, may let such candidates train."
            )

    def __deepcopy__(self, memo: dict) -> TrialGuard:
        copy = TrialGuard()
        copy._started = self._started
        return copy


def as_failed_trial(error: Exception, *, training_started: bool) -> Exception:
    """The error to raise for `error`, raised while a trial ran.

    Out of memory, and errors before training started (building the candidate), become a
    `FailedTrialError` with a one-line reason (the original error is chained to it, so
    `trial.json` keeps its traceback); KerasTuner's own errors, and other errors during
    training, are returned unchanged (KerasTuner's retry rules apply to those).

    Example:
    >>> reason = as_failed_trial(ValueError("Negative dimension size"), training_started=False)
    >>> print(reason)
    The candidate failed before training (while it was built ...): ValueError: Negative ...
    """
    if isinstance(error, (errors.FatalError, errors.FailedTrialError)):
        return error
    if isinstance(error, tf.errors.ResourceExhaustedError):
        first_line = (str(error.message or error).strip().splitlines() or [""])[0]
        return errors.FailedTrialError(
            "The candidate ran out of memory (ResourceExhaustedError: "
            f"{first_line}). A smaller batch size, or a constraint on the model size, avoids "
            "such candidates."
        )
    if not training_started:
        return errors.FailedTrialError(
            "The candidate failed before training (while it was built or compiled, or its "
            f"data prepared): {type(error).__name__}: {error}"
        )
    return error
