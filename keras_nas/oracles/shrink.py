"""What "smaller" means for each kind of hyperparameter, for repairing a candidate that
breaks a constraint (`NASOracle.repair`, `keras_nas.oracles.constrained`).

A constraint on size (parameters, FLOPs, latency) that few random candidates meet would
end a search after a few trials if candidates were only drawn and rejected. Instead, the
oracle moves a rejected candidate one choice at a time to a smaller option, re-checking it
after each move, until it meets the constraint or every choice is at its smallest option
(the smallest corner of the space). Smaller means:

- a `Choice` of numbers (widths, depths, kernel sizes, expansion ratios, units): the next
  smaller number. A smaller number is assumed never to make a candidate larger; a choice
  that does not change the cost (a dropout rate) is found out by measurement and left alone;
- a `Boolean`: `False` (an optional part left out);
- an `Int`: one `step` down with linear sampling; on a log scale, half (or divided by its
  `step`); `min_value` at the least;
- a `Choice` of other values (block types, operations): the order is measured. The first
  time a repair needs it, each option is checked in the candidate's context and the options
  are ordered by the share of the limits they take (`ConstraintCheck.usage`), for the rest
  of the search (`learned` below, saved with the oracle's state). A constraint that gives
  only a reason (a plain function) leaves these choices as they are;
- `Float` and `Fixed`: left as they are (learning rates, rates of dropout).

Example:
>>> import keras_tuner
>>> hp = keras_tuner.HyperParameters()
>>> width = hp.Choice("width", [64, 16, 32])
>>> smaller_value(hp.space[0], 64, learned={}), smaller_value(hp.space[0], 16, learned={})
(32, None)
>>> block = hp.Choice("block", ["conv", "separable"])
>>> print(smaller_value(hp.space[1], "conv", learned={}))  # Not measured yet.
None
>>> smaller_value(hp.space[1], "conv", learned={"block": ["separable", "conv"]})
'separable'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import keras_tuner
from keras_tuner.engine import hyperparameters as hp_module

#: The most moves one repair makes; each move is one check (a model build with `NASTuner`).
MAX_SHRINK_STEPS = 40


def option_order(hp: hp_module.HyperParameter, learned: Mapping[str, list]) -> list | None:
    """The options of `hp`, smallest first, or `None` if they have no known order.

    Args:
        hp: A hyperparameter.
        learned: Hyperparameter name -> its options smallest first, as measured.
    """
    if isinstance(hp, hp_module.Boolean):
        return [False, True]
    if isinstance(hp, hp_module.Choice):
        if hp.ordered:
            return sorted(hp.values)
        return learned.get(hp.name)
    return None


def needs_measuring(hp: hp_module.HyperParameter, learned: Mapping[str, list]) -> bool:
    """Whether the order of the options of `hp` can only be measured (see the module)."""
    return (
        isinstance(hp, hp_module.Choice)
        and len(hp.values) > 1
        and option_order(hp, learned) is None
    )


def smaller_value(hp: hp_module.HyperParameter, value: Any, learned: Mapping[str, list]) -> Any:
    """The next smaller option of `hp` than `value`, or `None` if there is none known."""
    order = option_order(hp, learned)
    if order is not None:
        index = order.index(value) if value in order else 0
        return order[index - 1] if index > 0 else None
    if isinstance(hp, hp_module.Int) and value is not None:
        if hp.sampling == "linear":
            smaller = value - (hp.step or 1)
        else:  # A log scale: halve (or divide by its step, the grid's ratio).
            smaller = max(value // (hp.step or 2), hp.min_value)
        return smaller if hp.min_value <= smaller < value else None
    return None


def at_smallest(hp: hp_module.HyperParameter, value: Any, learned: Mapping[str, list]) -> bool:
    """Whether `value` is known to be the smallest option of `hp`: the first of its known
    order, an `Int`'s or `Float`'s `min_value`, or a `Fixed` value. An option of unknown
    order is not."""
    if isinstance(hp, hp_module.Fixed):
        return True
    order = option_order(hp, learned)
    if order is not None:
        return value == order[0]
    if isinstance(hp, (hp_module.Int, hp_module.Float)):
        return value == hp.min_value
    return False


def smallest_value(hp: hp_module.HyperParameter, learned: Mapping[str, list]) -> Any:
    """The smallest known option of `hp`; its default where none is known."""
    order = option_order(hp, learned)
    if order is not None:
        return order[0]
    if isinstance(hp, hp_module.Int):
        return hp.min_value
    return hp.default


def active_hyperparameters(
    space: Iterable[hp_module.HyperParameter], values: Mapping[str, Any]
) -> list[hp_module.HyperParameter]:
    """The hyperparameters of `space` that hold a value in `values` and whose conditions
    hold there, one per name, in the order of the space."""
    active: dict[str, hp_module.HyperParameter] = {}
    for hp in space:
        if hp.name in values and hp.name not in active:
            if all(condition.is_active(values) for condition in hp.conditions):
                active[hp.name] = hp
    return list(active.values())


def with_smallest(
    space: Iterable[hp_module.HyperParameter],
    values: Mapping[str, Any],
    learned: Mapping[str, list],
) -> dict[str, Any]:
    """The active values of `values` under the space's conditions: active choices keep
    their value, inactive ones are dropped, and a choice that becomes active takes its
    smallest option (no random draw, unlike `NASOracle.resolve`)."""
    hps = keras_tuner.HyperParameters()
    for hp in space:
        hps.merge([hp])
        if not hps.is_active(hp):
            continue
        value = values.get(hp.name)
        if hp.name not in values or not _is_option(hp, value):
            value = smallest_value(hp, learned)
        hps.values[hp.name] = value
    return hps.values


def _is_option(hp: hp_module.HyperParameter, value: Any) -> bool:
    if isinstance(hp, hp_module.Choice):
        return value in hp.values
    return value is not None
