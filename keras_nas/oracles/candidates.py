"""Proposing candidates: values under the space's conditions, bounded random sampling of
untried architectures, and duplicates recognised by their canonical form."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

import keras_tuner
from keras_tuner.engine import hyperparameters as hp_module

if TYPE_CHECKING:  # The oracle composes these.
    from keras_nas.oracles.base import NASOracle

#: How many random draws may hit tried architectures before the space counts as exhausted.
MAX_RANDOM_ATTEMPTS = 100
#: How many candidates that the constraint rejected one proposal repairs (`NASOracle.repair`).
MAX_REPAIRS = 3


def resolve(
    hyperparameters: keras_tuner.HyperParameters,
    values: dict[str, Any],
    next_seed: Callable[[], int],
) -> dict[str, Any]:
    """Keeps the values of active hyperparameters, drops the rest, samples new ones.

    Args:
        hyperparameters: The space, with its conditions.
        values: Values to keep where they are active and valid.
        next_seed: Gives the seed of each new sample.

    Returns:
        The values of exactly the hyperparameters active under them.
    """
    hps = keras_tuner.HyperParameters()
    for hp in hyperparameters.space:
        hps.merge([hp])
        if not hps.is_active(hp):
            continue
        value = values.get(hp.name)
        if hp.name not in values or not _is_valid(hp, value):
            value = hp.random_sample(next_seed())
        hps.values[hp.name] = value
    return hps.values


@contextlib.contextmanager
def proposing_with(oracle: NASOracle, populate: Callable[[str], dict[str, Any]]) -> Iterator[None]:
    """Within the block (the oracle creating a trial), `oracle.populate_space` is `populate`
    instead of the strategy's own method."""
    oracle.populate_space = populate
    try:
        yield
    finally:
        del oracle.populate_space  # The strategy's own method again.


class TrialSource:
    """A source of trials other than the strategy (the initial architectures, the random
    control): within `applied()`, the oracle's `populate_space` is the source's `propose`,
    and `record` keeps the id of the trial it made (`trials`, saved with the oracle's state).
    """

    def __init__(self, oracle: NASOracle):
        self._oracle = oracle
        #: The ids of the trials this source made, in order.
        self.trials: list[str] = []
        self._proposing = False

    def propose(self, trial_id: str) -> dict[str, Any]:
        """`populate_space`'s answer for the trial `trial_id`."""
        raise NotImplementedError

    @contextlib.contextmanager
    def applied(self) -> Iterator[None]:
        """Within the block (the oracle creating a trial, which calls `record` inside it),
        the oracle's `populate_space` is `propose`."""
        self._proposing = True
        try:
            with proposing_with(self._oracle, self.propose):
                yield
        finally:
            self._proposing = False

    def record(self, trial: keras_tuner.engine.trial.Trial) -> None:
        """Counts the trial just created within `applied` as this source's, unless it does
        not run or `propose` handed it to the strategy (`decline`)."""
        proposing, self._proposing = self._proposing, False
        if proposing and trial.status == keras_tuner.engine.trial.TrialStatus.RUNNING:
            self.trials.append(trial.trial_id)

    def decline(self, trial_id: str) -> dict[str, Any]:
        """The strategy's own proposal for `trial_id`, which is then not this source's."""
        self._proposing = False
        return type(self._oracle).populate_space(self._oracle, trial_id)


def proposal(values: dict[str, Any] | None) -> dict[str, Any]:
    """`populate_space`'s answer for `values`: run them, or stop when there are none."""
    if values is None:
        return {"status": keras_tuner.engine.trial.TrialStatus.STOPPED, "values": None}
    return {"status": keras_tuner.engine.trial.TrialStatus.RUNNING, "values": values}


def first_proposable(oracle: NASOracle, draws: Iterable[dict[str, Any]]) -> dict[str, Any] | None:
    """The first of `draws` that `oracle` may propose (`NASOracle.proposable`), or `None`.

    The first `MAX_REPAIRS` draws that the constraint rejects are repaired
    (`NASOracle.repair`): the first repaired one is returned. `draws` is consumed lazily, so
    a strategy's generator draws (and uses its random generator) only as far as needed.
    """
    repairs = MAX_REPAIRS
    for values in draws:
        if oracle.proposable(values):
            return values
        if repairs and oracle.rejected_by_constraint(values):
            repairs -= 1
            repaired = oracle.repair(values)
            if repaired is not None:
                return repaired
    return None


def random_untried_values(oracle: NASOracle) -> dict[str, Any] | None:
    """A random proposable architecture of `oracle`, or `None` after `MAX_RANDOM_ATTEMPTS`
    draws that were not (`first_proposable`), and none once no candidate can keep the
    constraint."""

    def draws() -> Iterator[dict[str, Any]]:
        for _ in range(MAX_RANDOM_ATTEMPTS):
            if oracle.constraint_impossible:
                return
            yield oracle.resolve({})

    return first_proposable(oracle, draws())


class CanonicalKeys:
    """The canonical keys of the architectures tried, to recognise equivalent ones.

    Derived from the trials, so it needs no state of its own; each trial's key is computed
    once.
    """

    def __init__(self):
        self._by_trial: dict[str, str] = {}

    def key(self, values: dict[str, Any], canonical_key: Callable | None) -> str:
        """`canonical_key(values)`, or the values as JSON without one."""
        return canonical_key(values) if canonical_key else json.dumps(values)

    def tried(
        self,
        values: dict[str, Any],
        trials: dict[str, keras_tuner.engine.trial.Trial],
        canonical_key: Callable | None,
    ) -> bool:
        """Whether a trial's architecture has the canonical key of `values`."""
        for trial_id, trial in trials.items():
            if trial_id not in self._by_trial and trial.hyperparameters.values:
                self._by_trial[trial_id] = self.key(trial.hyperparameters.values, canonical_key)
        return self.key(values, canonical_key) in set(self._by_trial.values())

    def clear(self) -> None:
        """Forgets the keys (the trials were read anew)."""
        self._by_trial = {}


def _is_valid(hp: hp_module.HyperParameter, value: Any) -> bool:
    if isinstance(hp, hp_module.Choice):
        return value in hp.values
    return value is not None
