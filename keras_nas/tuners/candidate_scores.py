"""`CandidateScorer`: how a keras-nas tuner scores candidates for its oracle's zero-cost filter.

`NASTuner.search` gives its oracle one as `candidate_score` when the oracle has a
`zero_cost` filter (`keras_nas.oracles.prefilter`).
"""

from __future__ import annotations

import random
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import keras
import numpy as np

from keras_nas.estimation.zero_cost import mini_batch, zero_cost_score
from keras_nas.estimation.zero_cost_filter import DATA_PROXIES, ZeroCostFilter


class CandidateScorer:
    """Builds a candidate untrained and scores it by a zero-cost proxy.

    - One mini-batch of the search's training data is drawn when the scorer is made
      (`keras_nas.estimation.mini_batch`), so every candidate is scored on the same examples,
      even from a shuffled `tf.data.Dataset`.
    - Each candidate is built with Keras's seed set to the filter's `seed`, so its score
      depends on its architecture only. Python's and NumPy's global random states are then
      put back as they were, and TensorFlow's and Keras's reseeded from NumPy's state (read,
      not drawn from) and the count of candidates scored: the trials stay as random as
      before, and reproducible where the user seeded them.
    - The models of the last `zero_cost.candidates` candidates are kept, so that the trial
      trains the very network that was scored (`take`).

    Args:
        zero_cost: The oracle's filter.
        build: Builds the untrained model of a candidate's values.
        x, y: The search's training data (`x`, `y` of `search`), read by the proxies that
            need data.

    Raises:
        ValueError: If the proxy needs data and no mini-batch can be drawn from `x`.
    """

    def __init__(
        self,
        zero_cost: ZeroCostFilter,
        build: Callable[[dict[str, Any]], keras.Model],
        x: Any,
        y: Any,
    ):
        self._zero_cost = zero_cost
        self._build = build
        self._batch: tuple = (None, None)
        if zero_cost.proxy in DATA_PROXIES:
            self._batch = _draw_batch(zero_cost, x, y)
        self._models: OrderedDict[str, keras.Model] = OrderedDict()
        self._count = 0

    def __call__(self, values: dict[str, Any]) -> float:
        """The candidate's score (see the class docstring)."""
        model = self._seeded_build(values)
        self._models[_key(values)] = model
        while len(self._models) > self._zero_cost.candidates:
            self._models.popitem(last=False)
        x, y = self._batch
        return zero_cost_score(
            model,
            x,
            y,
            proxy=self._zero_cost.proxy,
            batch_size=self._zero_cost.batch_size,
            seed=self._zero_cost.seed,
        )

    def take(self, values: dict[str, Any]) -> keras.Model | None:
        """The scored model of `values`, if kept; forgets every kept model."""
        model = self._models.get(_key(values))
        self._models.clear()
        return model

    def _seeded_build(self, values: dict[str, Any]) -> keras.Model:
        python_state, numpy_state = random.getstate(), np.random.get_state()
        reader = np.random.RandomState()
        reader.set_state(numpy_state)
        reseed = (int(reader.randint(2**31 - 1)) + self._count) % (2**31 - 1)
        self._count += 1
        try:
            keras.utils.set_random_seed(self._zero_cost.seed)
            return self._build(values)
        finally:
            keras.utils.set_random_seed(reseed)
            random.setstate(python_state)
            np.random.set_state(numpy_state)


def _draw_batch(zero_cost: ZeroCostFilter, x: Any, y: Any) -> tuple:
    try:
        batch, problem = (
            mini_batch(x, y, batch_size=zero_cost.batch_size, seed=zero_cost.seed),
            None,
        )
    except Exception as error:
        batch, problem = (None, None), error
    if batch[0] is None:
        raise ValueError(
            f"The zero-cost proxy {zero_cost.proxy!r} reads a batch of the training data, and "
            "none could be drawn from `x`: pass arrays (or a list or dict of them) or a "
            "`tf.data.Dataset` of `(x, y)` batches, or use a proxy that needs no data "
            f"('synflow', 'params', 'flops'). Received: x of type {type(x).__name__}"
            f"{f' ({problem})' if problem else ''}."
        ) from problem
    return batch


def _key(values: dict[str, Any]) -> str:
    return repr(sorted(values.items()))
