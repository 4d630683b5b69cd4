"""`NASOracle`: what the keras-nas oracles share: their own RNG, bounded sampling of untried
architectures, conditional values and duplicate detection through a canonical form."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import keras_tuner
import numpy as np
from keras_tuner.engine import hyperparameters as hp_module
from keras_tuner.engine.trial import TrialStatus

#: How many random draws may hit tried architectures before the space counts as exhausted.
MAX_RANDOM_ATTEMPTS = 100


class NASOracle(keras_tuner.Oracle):
    """Base of the keras-nas oracles; subclasses implement `populate_space`.

    Adds to `keras_tuner.Oracle`:
    - a per-instance `numpy.random.Generator` seeded from `seed`, saved in the oracle state
      (JSON), so that a reloaded search continues the same sequence;
    - `canonical_key`: a function from values to a string that is equal for architectures that
      compute the same function (a search space's `canonical_key`; `NASTuner` sets it from the
      hypermodel). `already_tried(values)` is true for values whose key matches a trial's, as
      well as for KerasTuner's exact duplicates;
    - `resolve(values)`: the active values under the space's conditions, sampling the choices
      that become active and dropping the ones that do not;
    - `random_untried_values()`: bounded random sampling of an untried architecture.

    Args:
        seed: Seed of the oracle's random generator; `None` draws one (and saves it).
        canonical_key: See above; `None` recognises only identical values.
        **kwargs: The arguments of `keras_tuner.Oracle`.
    """

    def __init__(
        self,
        *,
        seed: int | None = None,
        canonical_key: Callable[[dict[str, Any]], str] | None = None,
        **kwargs: Any,
    ):
        super().__init__(seed=seed, **kwargs)
        self.canonical_key = canonical_key
        # `Oracle` replaces a missing seed with a random one in `self.seed`; seeding from it
        # makes an unseeded search reproducible from its saved state.
        self._rng = np.random.default_rng(seed if seed is not None else self.seed)
        self._keys_by_trial: dict[str, str] = {}

    def get_state(self) -> dict[str, Any]:
        state = super().get_state()
        state["rng_state"] = self._rng.bit_generator.state
        return state

    def set_state(self, state: dict[str, Any]) -> None:
        super().set_state(state)
        self._rng = np.random.default_rng()
        self._rng.bit_generator.state = state["rng_state"]
        self._keys_by_trial = {}

    def already_tried(self, values: dict[str, Any]) -> bool:
        """Whether `values`, or an architecture with the same canonical key, was proposed."""
        # `Oracle._duplicate` is private, but it is the check that matches the hashes that
        # `Oracle.create_trial` records; using it keeps both views of "tried" in step.
        if self._duplicate(values):
            return True
        return self.canonical_key is not None and self._key(values) in self._tried_keys()

    def completed_trials(self) -> list[keras_tuner.engine.trial.Trial]:
        """The trials that completed with a score, in the order they ended."""
        return [
            self.trials[trial_id]
            for trial_id in self.end_order
            if self.trials[trial_id].status == TrialStatus.COMPLETED
            and self.trials[trial_id].score is not None
        ]

    def resolve(self, values: dict[str, Any]) -> dict[str, Any]:
        """Keeps the values of active hyperparameters, drops the rest, samples new ones."""
        hps = keras_tuner.HyperParameters()
        for hp in self.hyperparameters.space:
            hps.merge([hp])
            if not hps.is_active(hp):
                continue
            value = values.get(hp.name)
            if hp.name not in values or not _is_valid(hp, value):
                value = hp.random_sample(self.next_seed())
            hps.values[hp.name] = value
        return hps.values

    def random_untried_values(self) -> dict[str, Any] | None:
        """A random untried architecture, or `None` after `MAX_RANDOM_ATTEMPTS` tried ones."""
        for _ in range(MAX_RANDOM_ATTEMPTS):
            values = self.resolve({})
            if not self.already_tried(values):
                return values
        return None

    def next_seed(self) -> int:
        """A seed for KerasTuner's `random_sample`, drawn from the oracle's generator."""
        return int(self._rng.integers(2**31))

    def _key(self, values: dict[str, Any]) -> str:
        return self.canonical_key(values) if self.canonical_key else json.dumps(values)

    def _tried_keys(self) -> set[str]:
        # Derived from `self.trials`, so it needs no state of its own; cached per trial.
        for trial_id, trial in self.trials.items():
            if trial_id not in self._keys_by_trial and trial.hyperparameters.values:
                self._keys_by_trial[trial_id] = self._key(trial.hyperparameters.values)
        return set(self._keys_by_trial.values())


def _is_valid(hp: hp_module.HyperParameter, value: Any) -> bool:
    if isinstance(hp, hp_module.Choice):
        return value in hp.values
    return value is not None
