"""The best epoch's weights of a trial, kept in memory and written once when the trial ends.

KerasTuner's `Tuner` writes a checkpoint to disk every time an epoch improves on the best so
far (`SaveBestEpoch`, a Keras `.weights.h5` file), several times per trial, most of them
overwritten before the trial ends. `NASTuner` keeps the best epoch's weights in memory
instead (`KeepBestWeights`) and writes them once, as `best_weights.npz` in the trial's
directory (numpy arrays in `model.get_weights()` order, no pickle; much faster to write than
a `.weights.h5` file, see BENCHMARKS.md), before the trial's end is recorded: a trial
is only ever marked complete with its weights on disk, and a crash before that reruns it.
`NASTuner.load_model` (and so `get_best_models`) reads them back with `read_best_weights`.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

# `BEST_WEIGHTS_FILE` (the file of a trial's best weights, in its trial directory) is
# re-exported: the name of the file lives with the other file names, free of TensorFlow.
from keras_nas.files import BEST_WEIGHTS_FILE as BEST_WEIGHTS_FILE
from keras_nas.files import write_npz_atomically


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
    >>> path = os.path.join(tempfile.mkdtemp(), BEST_WEIGHTS_FILE)
    >>> keep.write(model, path)
    True
    >>> [w.shape for w in read_best_weights(path)]
    [(1, 1), (1,)]

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
        """Writes the best weights to the `.npz` file `filepath`, atomically; returns whether
        there were any (no epoch ended: `False`). `model` is the trial's last model."""
        if self._best_model is model:
            weights = model.get_weights()
        else:
            self._copy_best()
            if self._best_weights is None:
                return False
            weights = self._best_weights
        write_weights(filepath, weights)
        return True

    def _copy_best(self) -> None:
        if self._best_model is not None:
            self._best_weights = self._best_model.get_weights()
            self._best_model = None


def write_weights(filepath: str, weights: list[np.ndarray]) -> None:
    """Writes `weights` (in `model.get_weights()` order) to the `.npz` file `filepath`,
    atomically; `read_best_weights` reads them back."""
    write_npz_atomically(filepath, {f"{i:05d}": array for i, array in enumerate(weights)})


def read_best_weights(filepath: str) -> list[np.ndarray]:
    """The weights that `write_weights` (or `KeepBestWeights.write`) wrote, in
    `model.get_weights()` order."""
    with np.load(filepath, allow_pickle=False) as arrays:
        return [arrays[name] for name in sorted(arrays.files)]


def build_optimizer(model: keras.Model) -> keras.Model:
    """Creates the optimizer variables of a compiled model that has not trained yet.

    A model rebuilt from a trial's weights has an unbuilt optimizer, which `model.save`
    writes as its 2 bookkeeping variables; `keras.saving.load_model` builds the full
    optimizer and then warns "Skipping variable loading for optimizer ... because it has N
    variables whereas the saved optimizer has 2 variables". Built first, the file saves and
    loads without a warning. A model without an optimizer is returned as it is.

    Returns:
        `model`.
    """
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and not optimizer.built:
        optimizer.build(model.trainable_variables)
    return model
