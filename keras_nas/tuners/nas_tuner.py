"""`NASTuner`: the KerasTuner `Tuner` that the keras-nas searches extend."""

from __future__ import annotations

import os
from typing import Any, TextIO

import keras_tuner

from keras_nas.oracles.base import NASOracle
from keras_nas.tuners.progress import SearchProgress
from keras_nas.weight_sharing import InheritWeights, SharedLayerRegistry

#: Where `weight_sharing=True` keeps the shared weights, under the project directory.
SHARED_WEIGHTS_DIR = "shared_weights"


class NASTuner(keras_tuner.Tuner):
    """A `keras_tuner.Tuner` for architecture search, with any hypermodel and oracle.

    What it adds to `keras_tuner.Tuner`:
    - a keras-nas oracle without a `canonical_key` takes the hypermodel's (every keras-nas
      space has one), so that architectures computing the same function are tried once;
    - `search(..., verbose=1)` prints one line per trial (`SearchProgress`) instead of
      KerasTuner's tables and Keras's progress bars; `verbose=2` shows KerasTuner's display
      and one line per epoch; `verbose=0` prints nothing;
    - `weight_sharing=True`: each candidate starts from the trained weights of every layer it
      shares with earlier candidates (same operation at the same position, same shapes) and
      writes its trained weights back (ENAS-style inheritance, see `SharedLayerRegistry`).
      The weights live in `<project dir>/shared_weights/`, so a resumed search and other
      workers sharing the directory inherit them too. The progress line says how many layers
      each candidate inherited.

    `search` takes exactly what `model.fit` takes.

    Example:
    >>> import tempfile
    >>> from keras_nas.datasets import load_digits
    >>> from keras_nas.oracles import RegularizedEvolutionOracle
    >>> from keras_nas.search_spaces import MLPSpace
    >>> (x, y), (x_val, y_val) = load_digits()
    >>> space = MLPSpace(input_shape=(64,), num_classes=10)
    >>> oracle = RegularizedEvolutionOracle(objective="val_accuracy", max_trials=2, seed=0)
    >>> tuner = NASTuner(space, oracle, directory=tempfile.mkdtemp())
    >>> tuner.search(x.reshape(-1, 64), y, validation_data=(x_val.reshape(-1, 64), y_val),
    ...              epochs=1, verbose=0)
    >>> len(tuner.oracle.trials)
    2

    Args:
        hypermodel: A keras-nas search space, any `keras_tuner.HyperModel`, or a function
            `build(hp)` that returns a compiled model.
        oracle: Any `keras_tuner.Oracle`, e.g. `RegularizedEvolutionOracle`.
        weight_sharing: `True` to share weights among candidates through a
            `SharedLayerRegistry` in the project directory, or a registry of your own (for
            instance one in memory, `SharedLayerRegistry()`); `False` (the default) trains
            every candidate from scratch.
        progress_out: Where the progress lines go; standard output by default.
        **kwargs: The arguments of `keras_tuner.Tuner` (`directory`, `project_name`,
            `overwrite`, `max_model_size`, `distribution_strategy`, ...).
    """

    def __init__(
        self,
        hypermodel: Any,
        oracle: keras_tuner.Oracle,
        *,
        weight_sharing: bool | SharedLayerRegistry = False,
        progress_out: TextIO | None = None,
        **kwargs: Any,
    ):
        if not isinstance(weight_sharing, (bool, SharedLayerRegistry)):
            raise ValueError(
                "`weight_sharing` must be True, False or a `SharedLayerRegistry`. Received: "
                f"weight_sharing={weight_sharing!r}."
            )
        canonical_key = getattr(hypermodel, "canonical_key", None)
        if isinstance(oracle, NASOracle) and oracle.canonical_key is None and canonical_key:
            oracle.canonical_key = canonical_key
        self._progress = SearchProgress(progress_out)
        self._show_progress = True
        super().__init__(hypermodel=hypermodel, oracle=oracle, **kwargs)
        # Created after the parent, which deletes the project directory when overwriting.
        self.registry = (
            SharedLayerRegistry(os.path.join(self.project_dir, SHARED_WEIGHTS_DIR))
            if weight_sharing is True
            else weight_sharing or None
        )
        self._inheritance: dict[str, InheritWeights] = {}

    def search(self, *fit_args: Any, verbose: int = 1, **fit_kwargs: Any) -> None:
        """Searches; takes what `model.fit` takes. See the class docstring for `verbose`."""
        self._show_progress = verbose == 1
        super().search(*fit_args, verbose=0 if verbose < 2 else 2, **fit_kwargs)

    def run_trial(self, trial, *args: Any, **kwargs: Any):
        if self.registry is None:
            return super().run_trial(trial, *args, **kwargs)
        inherit = InheritWeights(self.registry)
        kwargs["callbacks"] = [*(kwargs.get("callbacks") or []), inherit]
        self._inheritance[trial.trial_id] = inherit
        return super().run_trial(trial, *args, **kwargs)

    def on_search_begin(self) -> None:
        super().on_search_begin()
        self._progress.search_started()

    def on_trial_begin(self, trial) -> None:
        super().on_trial_begin(trial)
        self._progress.trial_started()

    def on_trial_end(self, trial) -> None:
        super().on_trial_end(trial)
        note = self._inheritance_note(trial)
        if self._show_progress:
            self._progress.trial_ended(self, trial, note=note)

    def _inheritance_note(self, trial) -> str | None:
        inherit = self._inheritance.pop(trial.trial_id, None)
        if inherit is None or not inherit.keys:
            return None
        return f"inherited {len(inherit.inherited)}/{len(inherit.keys)} layers"
