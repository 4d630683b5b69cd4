"""`ConstraintFilter`: how a keras-nas oracle keeps its candidates within a `constraint`.

An oracle's `constraint` (see `NASOracle`) says why a candidate breaks a limit, and how much
of the limits it takes (`keras_nas.objectives.ConstraintCheck`). The filter checks each
candidate once and remembers what it found, so that a rejected candidate is never trained
and never checked again; it repairs a rejected candidate by shrinking it one choice at a
time (`keras_nas.oracles.shrink` says what smaller means), learning the order of options
that are not numbers by measuring them; and once not even the space's smallest candidate
keeps the constraint, it accepts no candidate more and says what to change (`stop_message`),
naming the options of the space searched (`space_options`).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from keras_tuner.engine import hyperparameters as hp_module

from keras_nas.objectives.constraints import ConstraintCheck
from keras_nas.oracles.shrink import (
    MAX_SHRINK_STEPS,
    active_hyperparameters,
    at_smallest,
    needs_measuring,
    option_order,
    smaller_value,
    with_smallest,
)
from keras_nas.search_spaces.base import SearchSpace

if TYPE_CHECKING:
    from keras_nas.oracles.base import NASOracle


class ConstraintFilter:
    """Checks an oracle's candidates against its `constraint` and repairs rejected ones.

    `NASOracle` makes one in its constructor; its `proposable`, `rejected_by_constraint`,
    `rejected`, `repair` and `option_order` are this filter's (`NASOracle` says what they
    mean to a search). What the filter finds lives in memory, since the check is a function
    of the values and a resumed search finds the same, except `learned_order`, which the
    oracle saves with its state.

    Example:
    >>> import keras_tuner
    >>> from keras_nas.oracles import ReinforceOracle
    >>> hp = keras_tuner.HyperParameters()
    >>> for name in ("a", "b"):
    ...     _ = hp.Choice(name, [1, 2, 3])
    >>> oracle = ReinforceOracle(objective="val_accuracy", seed=0, hyperparameters=hp)
    >>> oracle.constraint = lambda values: None if values["a"] + values["b"] <= 3 else "over 3"
    >>> oracle.proposable({"a": 3, "b": 3})  # Its `ConstraintFilter` checks the candidate.
    False
    >>> oracle.repair({"a": 3, "b": 3})  # Shrunk one choice at a time until it fits.
    {'a': 2, 'b': 1}

    Args:
        oracle: The oracle whose candidates it checks. The filter reads the oracle's
            `constraint`, `hyperparameters`, `trials`, `search_space`, `already_tried`,
            generator and canonical key when it needs them: a tuner sets `constraint` after
            the oracle is made, and `set_state` replaces the generator.
    """

    def __init__(self, oracle: NASOracle):
        self._oracle = oracle
        #: Hyperparameter name -> its options smallest first, where measured; the oracle
        #: saves it with its state (`option_order`).
        self.learned_order: dict[str, list] = {}
        # Canonical key -> why the constraint rejected it.
        self._rejected: dict[str, str] = {}
        # Canonical key -> the share of the limits it takes (`ConstraintCheck.usage`), for
        # every candidate checked.
        self._usage: dict[str, float] = {}
        # The rejected candidate of least usage: (usage, reason, values).
        self._smallest: tuple[float, str, dict[str, Any]] | None = None
        # The smallest corner of the space once the constraint rejected it, (reason, values):
        # then no candidate keeps the constraint, and none is proposed.
        self._floor: tuple[str, dict[str, Any]] | None = None
        self._accepted = False  # Whether the constraint accepted a candidate.

    @property
    def rejected(self) -> dict[str, str]:
        """The candidates the constraint rejected in this process: key -> reason."""
        return dict(self._rejected)

    @property
    def impossible(self) -> bool:
        """Whether no candidate can keep the constraint: not even the smallest (`repair`)."""
        return self._floor is not None

    def accepts(self, values: dict[str, Any]) -> bool:
        """Whether `values` keep the constraint; each candidate is checked once."""
        if self._floor is not None:
            return False  # Not even the smallest candidate keeps the constraint (`repair`).
        return self._violation(values) is None

    def was_rejected(self, values: dict[str, Any]) -> bool:
        """Whether the constraint rejected `values` (when `accepts` checked them)."""
        return self._oracle.candidate_key(values) in self._rejected

    def repair(self, values: dict[str, Any]) -> dict[str, Any] | None:
        """An untried candidate within the constraint, found by shrinking `values` (which
        the constraint rejected) one choice at a time; `None` if none is found.

        Each step moves one active choice, drawn with the oracle's generator, to its next
        smaller option (`keras_nas.oracles.shrink` says what smaller means); a choice that
        becomes active takes its smallest option. The result is checked unless it was tried
        or rejected before, and the first one within the constraint is returned, so a
        repaired candidate sits just within the limits. A move that leaves the measured
        usage as it was (a dropout rate) is undone, and that choice is left alone for the
        rest of the repair. When no move is left but a choice whose options are not numbers
        has no order yet, each of its options is checked in the candidate's context and
        ordered by the share of the limits it takes, for the rest of the search (with a
        constraint that gives a `ConstraintCheck`, as `NASTuner`'s does).

        Bound: at most `MAX_SHRINK_STEPS` (40) steps, each at most one check (one model
        build with `NASTuner`, tenths of a second), and, once per search for each choice of
        unordered options, one check of each option.

        When every choice is at its smallest known option (or does not change the cost)
        and that candidate breaks the constraint too, while the constraint accepted no
        candidate, no candidate can keep it (a smaller option is assumed never to make a
        candidate larger): the oracle proposes nothing more, and the search stops with a
        message that names that candidate. Where a choice has no known smallest option (a
        `Float`), the oracle goes on drawing candidates at random instead.
        """
        current = dict(values)
        left_alone: set[str] = set()
        space = self._oracle.hyperparameters.space
        key = self._oracle.candidate_key
        # Usage of the candidates checked in this repair only: what an earlier search in the
        # same process measured must not change the path, or a resumed search would differ.
        usage = {key(values): self._usage.get(key(values))}
        for _ in range(MAX_SHRINK_STEPS):
            active = active_hyperparameters(space, current)
            moves = [
                (hp, smaller_value(hp, current[hp.name], self.learned_order))
                for hp in active
                if hp.name not in left_alone
            ]
            moves = [(hp, value) for hp, value in moves if value is not None]
            if not moves:
                unordered = [hp for hp in active if needs_measuring(hp, self.learned_order)]
                if unordered and self._usage:  # The constraint measures: learn an order.
                    self._learn_order(unordered[0], current)
                    continue
                if not unordered:
                    self._note_floor(current, cost_neutral=left_alone)
                return None
            hp, value = moves[int(self._oracle._rng.integers(len(moves)))]
            candidate = with_smallest(space, {**current, hp.name: value}, self.learned_order)
            if self._oracle.already_tried(candidate):
                current = candidate
                continue
            if self._violation(candidate) is None:
                return candidate
            usage[key(candidate)] = self._usage.get(key(candidate))
            before = usage.get(key(current))
            if before is not None and before == usage[key(candidate)]:
                left_alone.add(hp.name)  # This choice does not change the cost here.
                continue
            current = candidate
        return None

    def option_order(self, name: str) -> list | None:
        """The options of the hyperparameter `name`, smallest first, as `repair` uses them:
        numbers in order, `False` before `True`, other options in the order measured;
        `None` where not known (yet)."""
        for hp in self._oracle.hyperparameters.space:
            if hp.name == name:
                order = option_order(hp, self.learned_order)
                return list(order) if order is not None else None
        return None

    def stop_message(self) -> str:
        """Why the search ends before `max_trials`: the constraint left no candidate; with
        the smallest value seen and what to change."""
        ended = (
            "No untried candidate within the constraint was found; the search ends after "
            f"{len(self._oracle.trials)} trials."
        )
        if self._floor is not None:
            reason, values = self._floor
            which = "the smallest candidate, every choice at its smallest option,"
            if self._smallest is not None and self._smallest[2] != values:
                # An option assumed smaller was not (see `repair`): name the smallest seen.
                _, reason, values = self._smallest
                which = "the smallest candidate found"
            choices = ", ".join(f"{name}={value!r}" for name, value in values.items())
            return (
                f"{ended} None can be: {which} breaks the constraint: {reason} ({choices}). "
                "To search, raise the limit, or give the space smaller options for these "
                "choices or fewer or smaller fixed parts "
                f"({space_options(self._oracle.search_space)})."
            )
        rejected = f"{len(self._rejected)} candidates were rejected"
        if self._smallest is None:
            return f"{ended} {rejected}, e.g. {sorted(set(self._rejected.values()))[0]}."
        return (
            f"{ended} {rejected}, the smallest with {self._smallest[1]}. Raise the limit, or "
            "lower `max_trials` to what the space holds within it."
        )

    def _violation(self, values: dict[str, Any]) -> str | None:
        """Why `values` break the constraint, or `None`; a candidate it rejects is checked
        once, and the usage of each candidate checked is kept (see `repair`)."""
        key = self._oracle.candidate_key(values)
        if key in self._rejected:
            return self._rejected[key]
        reason, usage = _reason_and_usage(self._oracle.constraint(values))
        if usage is not None:
            self._usage[key] = usage
        if reason is None:
            self._accepted = True
            return None
        self._rejected[key] = reason
        if usage is not None and (self._smallest is None or usage < self._smallest[0]):
            self._smallest = (usage, reason, dict(values))
        return reason

    def _learn_order(self, hp: hp_module.HyperParameter, values: dict[str, Any]) -> None:
        """Orders the options of `hp` by the usage of `values` with each of them (one check
        each); an option whose candidate could not be measured goes last."""
        measured = []
        for index, option in enumerate(hp.values):
            candidate = with_smallest(
                self._oracle.hyperparameters.space,
                {**values, hp.name: option},
                self.learned_order,
            )
            key = self._oracle.candidate_key(candidate)
            if key not in self._usage:
                self._violation(candidate)
            measured.append((self._usage.get(key, math.inf), index))
        self.learned_order[hp.name] = [hp.values[index] for _, index in sorted(measured)]

    def _note_floor(self, values: dict[str, Any], cost_neutral: set[str]) -> None:
        """Records `values` if every choice is at its smallest option (of a kind whose order
        is known: see `shrink.at_smallest`) or was measured not to change the cost
        (`cost_neutral`), the constraint rejected them and it has accepted nothing: then no
        candidate keeps it. A choice that repair cannot shrink (a `Float`, an `Int` sampled
        on a log scale above its minimum) leaves the question open, and the search goes on
        drawing candidates at random."""
        key = self._oracle.candidate_key(values)
        space = self._oracle.hyperparameters.space
        at_floor = all(
            hp.name in cost_neutral or at_smallest(hp, values[hp.name], self.learned_order)
            for hp in active_hyperparameters(space, values)
        )
        if at_floor and key in self._rejected and not self._accepted and not self._oracle.trials:
            self._floor = (self._rejected[key], dict(values))


def space_options(space: Any) -> str:
    """Where to make the candidates of `space` smaller, in words for a message.

    A keras-nas `SearchSpace` names its class and those of its own constructor arguments
    (beyond `SearchSpace`'s) that list options; any other hypermodel, or `None`, a user's
    `build(hp)`.

    Example:
    >>> from keras_nas.search_spaces import MLPSpace
    >>> space_options(MLPSpace(input_shape=(8,), num_classes=2))
    "MLPSpace's `units=`, `activations=`, `dropouts=` and `normalizations=`"
    >>> space_options(None)
    'the options of your build(hp)'

    Args:
        space: The hypermodel searched: a `SearchSpace`, another `keras_tuner.HyperModel`,
            or `None` when not known.

    Returns:
        A phrase such as "MLPSpace's `units=` and `dropouts=`".
    """
    if not isinstance(space, SearchSpace):
        return "the options of your build(hp)"
    config = space.get_config()
    shared = SearchSpace.get_config(space)
    names = [
        f"`{name}=`"
        for name, value in config.items()
        if name not in shared and isinstance(value, (list, tuple))
    ]
    if not names:
        return f"{type(space).__name__}'s constructor arguments"
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    return f"{type(space).__name__}'s {listed}"


def _reason_and_usage(result: Any) -> tuple[str | None, float | None]:
    """The reason and usage of what a `constraint` returned (see `NASOracle.constraint`)."""
    if result is None or isinstance(result, str):
        return result, None
    if isinstance(result, ConstraintCheck):
        return result.reason, result.usage
    raise TypeError(
        "A constraint must return a `keras_nas.objectives.ConstraintCheck`, the reason the "
        f"candidate breaks it (a str) or None. Received: {result!r}."
    )
