"""The best epoch's weights of a trial, kept in memory and written once when the trial ends.

KerasTuner's `Tuner` writes a checkpoint to disk every time an epoch improves on the best so
far (`SaveBestEpoch`), several files per trial, most of them overwritten before the trial
ends. `NASTuner` keeps the best epoch's weights in memory instead (`KeepBestWeights`) and
writes them once, where KerasTuner's `load_model` and `get_best_models` read them, before the
trial's end is recorded: a trial is only ever marked complete with its weights on disk, and
a crash before that reruns it.
"""

from __future__ import annotations

import os
from typing import Any

import keras
import numpy as np


class KeepBestWeights(keras.callbacks.Callback):
    """Keeps the weights of the epoch that is best by `objective`, across every `fit` it sees.

    An epoch without the objective in its logs counts as the best so far, as in KerasTuner.
    The weights are copied lazily, at the start of the next epoch (of this `fit` or the
    next), or not at all if the best epoch is the last one of the last `fit`.

    Example:
    >>> import keras_tuner, numpy as np, tempfile, os
    >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    >>> model.compile("sgd", "mse")
    >>> keep = KeepBestWeights(keras_tuner.Objective("loss", "min"))
    >>> _ = model.fit(np.ones((4, 1)), np.ones((4, 1)), epochs=2, verbose=0, callbacks=[keep])
    >>> path = os.path.join(tempfile.mkdtemp(), "checkpoint.weights.h5")
    >>> keep.write(model, path)
    True
    >>> os.path.exists(path)
    True

    Args:
        objective: A `keras_tuner.Objective` (or KerasTuner's multi-objective), whose
            `has_value`, `get_value` and `better_than` decide the best epoch.
    """

    def __init__(self, objective: Any):
        super().__init__()
        self.objective = objective
        self._best_value = float("-inf") if objective.direction == "max" else float("inf")
        self._best_weights: list[np.ndarray] | None = None
        self._best_model: keras.Model | None = None  # Holds the best weights now, uncopied.

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._copy_best()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if not self.objective.has_value(logs or {}):
            self._best_model = self.model
            return
        value = self.objective.get_value(logs)
        if self.objective.better_than(value, self._best_value):
            self._best_value = value
            self._best_model = self.model

    def write(self, model: keras.Model, filepath: str) -> bool:
        """Writes the best weights to `filepath` (a `.weights.h5` file) through `model`, the
        trial's last model; returns whether there were any (no epoch ended: `False`).

        The file is written under a temporary name and renamed, so it is never torn. `model`
        is left with the best weights.
        """
        if self._best_model is not model:
            self._copy_best()
            if self._best_weights is None:
                return False
            model.set_weights(self._best_weights)
        suffix = ".weights.h5"
        partial = filepath[: -len(suffix)] + ".partial" + suffix
        model.save_weights(partial)
        os.replace(partial, filepath)
        return True

    def _copy_best(self) -> None:
        if self._best_model is not None:
            self._best_weights = self._best_model.get_weights()
            self._best_model = None
