"""Active hyperparameters: the ones a trial's build function actually read.

A user's `build(hp)` often decides with plain Python which hyperparameters matter:

    def build(hp):
        for i in range(hp.Int("blocks", 1, 3)):
            units = hp.Choice(f"units_{i}", [16, 32, 64])
        if hp.Boolean("dropout"):
            rate = hp.Float("rate", 0.1, 0.5)

KerasTuner sees no condition there: once `units_2` and `rate` have been met they are part of
every candidate's values, also of one with `blocks=1` and no dropout, where they change
nothing. An oracle that knows only the space would mutate them, or count two value sets that
build the same network as two architectures.

So the keras-nas oracles hand every trial an `ActiveHyperParameters`, which records the names
whose values are read through it (`hp.Choice(...)`, `hp.Int(...)`, ..., `hp.get(name)`,
`hp.values[name]`); the names a completed trial read are its active hyperparameters
(`ActiveRecord`). Two value sets
that agree on every name a trial read build the same network as that trial, when the build
function is deterministic: it reads the same first name, gets the same value, takes the same
branch, and so on to the end. Evolution then mutates only active names, REINFORCE rewards
only active decisions, and duplicates are found by active values (`ActiveRecord.tried`).

Where the space says it (KerasTuner's `conditional_scope` or `parent_name`, or a keras-nas
`SearchSpace`, which declares every choice it reads), the record and the conditions agree.
The build function must decide from the values alone (no randomness, no reads of a copy of
the values made before the build, such as `dict(hp.values)`): two trials that agree on
what was read then build the same network.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import keras_tuner


class ActiveHyperParameters(keras_tuner.HyperParameters):
    """`keras_tuner.HyperParameters` that record the names whose values are read.

    Every read of a value by its name counts: `hp.Choice(...)`, `hp.Int(...)` and the other
    definitions (KerasTuner returns the value through the `values` dict), `hp.get(name)`,
    `hp[name]`, `name in hp`, `hp.values[name]` and `hp.values.get(name)`; so does the value
    of a conditional hyperparameter's parent, which decides whether it is active. Copying
    the values (`dict(hp.values)`, `.items()`) reads none. A read outside the build (a
    callback that looks a value up) makes a name count too: the record may hold more than
    the build read, never less, so it can only make the oracle more careful.

    Example:
    >>> space = keras_tuner.HyperParameters()
    >>> for name in ("blocks", "units_0", "units_1"):
    ...     _ = space.Int(name, 1, 3)
    >>> hp = ActiveHyperParameters.copy_of(space)
    >>> hp.values.update({"blocks": 1, "units_0": 2, "units_1": 3})
    >>> for i in range(hp.Int("blocks", 1, 3)):
    ...     _ = hp.Int(f"units_{i}", 1, 3)
    >>> sorted(hp.read_names)
    ['blocks', 'units_0']
    """

    def __init__(self):
        #: The names read so far.
        self.read_names: set[str] = set()
        super().__init__()

    @property
    def values(self) -> dict[str, Any]:
        """The values by name; reading one by its name records the name."""
        return self._values

    @values.setter
    def values(self, values: dict[str, Any]) -> None:
        self._values = _RecordingValues(values, self.read_names)

    @classmethod
    def copy_of(
        cls, hyperparameters: keras_tuner.HyperParameters, read_names: Any = ()
    ) -> ActiveHyperParameters:
        """A recording copy of `hyperparameters` (space and values) that has read
        `read_names` already (a build of the same values elsewhere)."""
        copy = cls.from_config(hyperparameters.get_config())
        copy.read_names.update(read_names)
        return copy


class _RecordingValues(dict):
    """A dict of values that adds each name read by key to `read`."""

    def __init__(self, values: dict[str, Any], read: set[str]):
        super().__init__(values)
        self._read = read

    def __getitem__(self, name: str) -> Any:
        value = super().__getitem__(name)
        self._read.add(name)
        return value

    def get(self, name: str, default: Any = None) -> Any:
        if name in self:
            self._read.add(name)
        return super().get(name, default)


class ActiveRecord:
    """The active hyperparameters of each completed trial of an oracle, and what follows
    from them: which names to mutate and which candidates are tried already.

    Saved with the oracle's state (`get_state`), so a resumed search keeps it. The builds
    that a tuner runs while the oracle proposes a candidate (to check a constraint, or to
    score it untrained) record theirs with `note_build`; the trial created from that
    candidate starts from them, since the tuner trains the model built then.
    """

    def __init__(self):
        self._by_trial: dict[str, list[str]] = {}
        self._proposal_builds: dict[str, set[str]] = {}
        # The names each recorded trial read -> the keys of their values in those trials:
        # few distinct name sets, so `tried` looks up one key per set.
        self._index: dict[tuple[str, ...], set[str]] | None = None

    def recording(self, hyperparameters: keras_tuner.HyperParameters) -> ActiveHyperParameters:
        """The hyperparameters a trial runs with: a fresh recording copy (a trial run again
        starts afresh), which starts from the names its candidate's proposal builds read."""
        read = self._proposal_builds.get(_values_key(dict(hyperparameters.values)), ())
        return ActiveHyperParameters.copy_of(hyperparameters, read)

    def note_build(self, values: dict[str, Any], read_names: Any) -> None:
        """Records the names that a build of the candidate `values` read during a proposal."""
        self._proposal_builds[_values_key(dict(values))] = set(read_names)

    def forget_proposal_builds(self) -> None:
        """Forgets the proposal builds (a new proposal starts)."""
        self._proposal_builds = {}

    def record(self, trial_id: str, names: set[str] | None) -> None:
        """Keeps `names`, what the completed trial `trial_id` read (taken as it ended);
        nothing when they are not known."""
        if names:
            self._by_trial[trial_id] = sorted(names)
            self._index = None

    def names(self, trial: keras_tuner.engine.trial.Trial | str) -> set[str] | None:
        """The names a trial read: recorded when it completed, or read so far while it runs
        (given the trial, not its id); `None` when nothing is known (a trial run by a worker
        of a parallel search arrives without them; then every name under the conditions
        counts)."""
        trial_id = trial if isinstance(trial, str) else trial.trial_id
        recorded = self._by_trial.get(trial_id)
        if recorded is not None:
            return set(recorded)
        if isinstance(trial, str):
            return None
        reading = getattr(trial.hyperparameters, "read_names", None)
        return set(reading) if reading else None

    def tried(
        self, values: dict[str, Any], trials: dict[str, keras_tuner.engine.trial.Trial]
    ) -> bool:
        """Whether `values` agree with a recorded trial on every name that trial read, so
        that they build its network again."""
        if self._index is None:
            self._index = {}
            for trial_id, names in self._by_trial.items():
                if trial_id in trials:
                    tried = dict(trials[trial_id].hyperparameters.values)  # Reads no name.
                    self._index.setdefault(tuple(names), set()).add(_read_key(tried, names))
        values = dict(values)
        return any(
            all(name in values for name in names) and _read_key(values, names) in keys
            for names, keys in self._index.items()
        )

    def get_state(self) -> dict[str, list[str]]:
        """The record, as JSON: trial id -> the sorted names it read."""
        return {trial_id: list(names) for trial_id, names in self._by_trial.items()}

    def set_state(self, state: dict[str, list[str]]) -> None:
        """Restores `get_state`'s record."""
        self._by_trial = {trial_id: list(names) for trial_id, names in state.items()}
        self._proposal_builds = {}
        self._index = None


def _read_key(values: dict[str, Any], names: Sequence[str]) -> str:
    """The values of `names` as a key: their JSON text (KerasTuner's duplicate check also
    compares values by their text)."""
    return json.dumps([values.get(name) for name in names], default=str)


def _values_key(values: dict[str, Any]) -> str:
    return json.dumps(values, sort_keys=True, default=str)
