"""Architectures a search tries first (`initial_architectures=[...]`).

A published architecture, the best of an earlier search, or the network in production today
is often the best place to start: evolution takes these as the first members of its
population, REINFORCE learns from them as from any trial, and the report shows how far the
search went beyond them. Each is a dict of values of the space's hyperparameters; a choice
it leaves out takes its default, and choices inactive under the values given are dropped.
A name the space does not have yet (a build function declares a name when it first reads
it) goes to the build function as given, with a warning, unless `allow_new_entries=False`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import keras_tuner
from keras_tuner.engine import hyperparameters as hp_module

from keras_nas.oracles import candidates

if TYPE_CHECKING:  # The oracle composes this.
    from keras_nas.oracles.base import NASOracle

_SCALARS = (bool, int, float, str)


def check_initial_architectures(architectures: Any) -> list[dict[str, Any]]:
    """`architectures` as a list of dicts of JSON scalars by name, or a clear error.

    Raises:
        ValueError: If `architectures` is not a list (or tuple) of dicts from hyperparameter
            names to booleans, numbers or strings.
    """
    if architectures is None:
        return []
    if not isinstance(architectures, (list, tuple)) or not all(
        isinstance(values, dict)
        and all(isinstance(k, str) and isinstance(v, _SCALARS) for k, v in values.items())
        for values in architectures
    ):
        raise ValueError(
            "`initial_architectures` must be a list of dicts of hyperparameter values, such "
            "as `[{'stage_1/width': 32, 'stage_1/depth': 2}]` (a trial's "
            "`hyperparameters.values`), or None. Received: "
            f"initial_architectures={architectures!r}."
        )
    return [dict(values) for values in architectures]


class InitialArchitectures(candidates.TrialSource):
    """The architectures `oracle` proposes before its strategy, in order, and the ids of
    the trials they became (`trials`, saved with the oracle's state).

    Which are still to come is derived from the trials: an architecture already tried is
    skipped, and so is one that breaks the oracle's constraint (with a warning), so a
    resumed search continues where it stopped.
    """

    def __init__(self, oracle: NASOracle, architectures: Sequence[dict[str, Any]]):
        super().__init__(oracle)
        self.architectures = check_initial_architectures(architectures)
        self._warned: set[str] = set()

    def next_values(self) -> dict[str, Any] | None:
        """The first initial architecture not tried yet and within the constraint,
        completed with defaults; `None` once none is left. All of them are checked first, so
        a bad one stops the search before the first trial.

        Raises:
            ValueError: If an architecture gives a value that its hyperparameter does not
                allow, or (with `allow_new_entries=False`) names one the space lacks.
        """
        oracle = self._oracle
        completed = [
            complete(oracle.hyperparameters, values, index, new_names=oracle.allow_new_entries)
            for index, values in enumerate(self.architectures)
        ]
        unknown = sorted({name for values in completed for name in values} - _names(oracle))
        if unknown:
            self._warn_once(
                f"`initial_architectures` name {unknown}, which the search space does not "
                "have yet; they go to the build function as given, which uses them when it "
                "reads these names (check their spelling)."
            )
        for index, values in enumerate(completed):
            if oracle.already_tried(values):
                continue
            if oracle.proposable(values):
                return values
            self._warn_once(
                f"initial_architectures[{index}] breaks the search's constraints "
                f"({oracle.rejected.get(oracle.candidate_key(values), 'rejected')}); it is "
                "skipped. Loosen the constraints to try it."
            )
        return None

    def pending(self) -> bool:
        """Whether an initial architecture is still to be tried."""
        return bool(self.architectures) and self.next_values() is not None

    def propose(self, trial_id: str) -> dict[str, Any]:
        """The next initial architecture."""
        return candidates.proposal(self.next_values())

    def _warn_once(self, message: str) -> None:
        if message not in self._warned:
            self._warned.add(message)
            warnings.warn(message, stacklevel=5)


def complete(
    hyperparameters: keras_tuner.HyperParameters,
    values: dict[str, Any],
    index: int = 0,
    *,
    new_names: bool = False,
) -> dict[str, Any]:
    """`values` checked against the space, with every active choice they leave out at its
    default and inactive ones dropped. With `new_names`, names the space does not have (yet:
    a build function declares a name when it first reads it) are kept as given; without,
    they are an error.

    Example:
    >>> hp = keras_tuner.HyperParameters()
    >>> hp.Int("depth", 1, 3, default=2)
    2
    >>> with hp.conditional_scope("depth", [3]):
    ...     _ = hp.Choice("block_3/kernel", [3, 5])
    >>> complete(hp, {"block_3/kernel": 5})
    {'depth': 2}
    >>> complete(hp, {"depth": 4})
    Traceback (most recent call last):
    ...
    ValueError: initial_architectures[0] gives `depth` the value 4, which it does not allow ...
    """
    known = {hp.name for hp in hyperparameters.space}
    unknown = sorted(set(values) - known)
    if unknown and not new_names:
        raise ValueError(
            f"initial_architectures[{index}] names {unknown}, which the search space does not "
            f"have. Its hyperparameters are: {sorted(known)}. Give values of those names "
            "(a trial's `hyperparameters.values`)."
        )
    filled = keras_tuner.HyperParameters()
    for hp in hyperparameters.space:
        filled.merge([hp])
        if not filled.is_active(hp):
            continue
        value = values.get(hp.name, hp.default)
        if not _allowed(hp, value):
            raise ValueError(
                f"initial_architectures[{index}] gives `{hp.name}` the value {value!r}, which "
                f"it does not allow ({_options(hp)}). Give one of its values."
            )
        filled.values[hp.name] = value
    return {**filled.values, **{name: values[name] for name in unknown}}


def _names(oracle: NASOracle) -> set[str]:
    return {hp.name for hp in oracle.hyperparameters.space}


def _allowed(hp: hp_module.HyperParameter, value: Any) -> bool:
    """Whether `value` is one `hp` gives: of its type (3 is not 3.0 nor True), in range."""
    if isinstance(hp, hp_module.Fixed):
        return type(value) is type(hp.value) and value == hp.value
    if isinstance(hp, hp_module.Choice):
        return any(type(value) is type(option) and value == option for option in hp.values)
    if isinstance(hp, hp_module.Boolean):
        return isinstance(value, bool)
    if isinstance(hp, hp_module.Int):
        if type(value) is not int or not hp.min_value <= value <= hp.max_value:
            return False
        linear = hp.sampling in (None, "linear") and hp.step
        return not linear or (value - hp.min_value) % hp.step == 0
    if isinstance(hp, hp_module.Float):
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        return number and hp.min_value <= value <= hp.max_value
    return True


def _options(hp: hp_module.HyperParameter) -> str:
    if isinstance(hp, hp_module.Fixed):
        return f"fixed at {hp.value!r}"
    if isinstance(hp, hp_module.Choice):
        return f"one of {list(hp.values)}"
    if isinstance(hp, hp_module.Boolean):
        return "True or False"
    if isinstance(hp, hp_module.Int):
        return f"an int from {hp.min_value} to {hp.max_value} in steps of {hp.step or 1}"
    if isinstance(hp, hp_module.Float):
        return f"a number from {hp.min_value} to {hp.max_value}"
    return type(hp).__name__
