"""Checks of public arguments, made before anything starts (TensorFlow-free).

Every count and number a keras-nas search takes is checked here, so that a wrong one is
refused with the package's usual message (what is required, what was received, how to fix
it) instead of failing deep inside KerasTuner or, worse, being accepted: `max_trials=0`
used to search forever.
"""

from __future__ import annotations

import math
import numbers
from typing import Any


def check_count(
    name: str, value: Any, *, minimum: int = 1, none_means: str | None = None
) -> int | None:
    """Returns `value` as an `int` if it is a whole number of at least `minimum`.

    Example:
    >>> check_count("epochs", 3)
    3
    >>> check_count("max_trials", None, none_means="search until no untried candidate is left")
    >>> check_count("max_trials", 0)
    Traceback (most recent call last):
    ...
    ValueError: `max_trials` must be a positive integer. Received: max_trials=0.

    Args:
        name: The argument's name, for the message.
        value: What was received.
        minimum: The smallest value accepted (1: a positive integer; 0: non-negative).
        none_means: What `None` does, if `None` is accepted; `None` refuses it.

    Returns:
        `value` as a Python `int`, or `None` when `None` is accepted and received.

    Raises:
        ValueError: If `value` is not a whole number of at least `minimum` (a `bool`, a
            string such as `"6"` or a float such as `6.0` are not), nor an accepted `None`.
    """
    if value is None and none_means is not None:
        return None
    if _is_integer(value) and value >= minimum:
        return int(value)
    required = "a positive integer" if minimum == 1 else f"an integer of at least {minimum}"
    if none_means is not None:
        required += f", or None to {none_means}"
    raise ValueError(f"`{name}` must be {required}. Received: {name}={_received(value)}.")


def check_number(
    name: str,
    value: Any,
    *,
    minimum: float | None = None,
    above: float | None = None,
    below: float | None = None,
    none_means: str | None = None,
) -> float | None:
    """Returns `value` as a `float` if it is a finite real number within the bounds.

    Example:
    >>> check_number("learning_rate", 0.01, above=0)
    0.01
    >>> check_number("rate", "0.01", above=0)
    Traceback (most recent call last):
    ...
    ValueError: `rate` must be a finite number above 0. Received: rate='0.01' (a str).

    Args:
        name: The argument's name, for the message.
        value: What was received.
        minimum: The smallest value accepted, if any.
        above: A value the number must exceed, if any.
        below: A value the number must stay under, if any.
        none_means: What `None` does, if `None` is accepted; `None` refuses it.

    Returns:
        `value` as a Python `float`, or `None` when `None` is accepted and received.

    Raises:
        ValueError: If `value` is not a finite real number within the bounds (a `bool` is
            not a number here), nor an accepted `None`.
    """
    if value is None and none_means is not None:
        return None
    if (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and (minimum is None or value >= minimum)
        and (above is None or value > above)
        and (below is None or value < below)
    ):
        return float(value)
    bounds = [
        f"{word} {bound:g}"
        for word, bound in (("of at least", minimum), ("above", above), ("below", below))
        if bound is not None
    ]
    required = "a finite number " + " and ".join(bounds) if bounds else "a finite number"
    if none_means is not None:
        required += f", or None to {none_means}"
    raise ValueError(f"`{name}` must be {required}. Received: {name}={_received(value)}.")


def check_bool(name: str, value: Any) -> bool:
    """Returns `value` if it is `True` or `False`.

    Example:
    >>> check_bool("overwrite", "no")
    Traceback (most recent call last):
    ...
    ValueError: `overwrite` must be True or False. Received: overwrite='no' (a str).

    Raises:
        ValueError: If `value` is not a `bool`.
    """
    if isinstance(value, bool):
        return value
    raise ValueError(f"`{name}` must be True or False. Received: {name}={_received(value)}.")


def check_seconds(name: str, value: Any) -> float | None:
    """Returns a duration as a `float`: a positive number of seconds; `None` (or infinity)
    for no limit, returned as `None`.

    Example:
    >>> check_seconds("trial_timeout", 60)
    60.0
    >>> check_seconds("trial_timeout", float("inf"))
    >>> check_seconds("trial_timeout", 0)
    Traceback (most recent call last):
    ...
    ValueError: `trial_timeout` must be a positive number of seconds or None. Received: trial_timeout=0.

    Raises:
        ValueError: If `value` is neither a positive number (a `bool` is not one) nor `None`.
    """  # noqa: E501
    if value is None:
        return None
    if isinstance(value, numbers.Real) and not isinstance(value, bool) and value > 0:
        return None if math.isinf(value) else float(value)
    raise ValueError(
        f"`{name}` must be a positive number of seconds or None. "
        f"Received: {name}={_received(value)}."
    )


def check_seed(value: Any) -> int | None:
    """Returns a seed as an `int`: a non-negative integer, or `None` to draw one.

    Example:
    >>> check_seed(None)
    >>> check_seed(-1)
    Traceback (most recent call last):
    ...
    ValueError: `seed` must be an integer of at least 0, or None to draw a random seed. Received: seed=-1.
    """  # noqa: E501
    return check_count("seed", value, minimum=0, none_means="draw a random seed")


def _is_integer(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _received(value: Any) -> str:
    """`repr(value)`, with its type when the repr alone could mislead (`'6'`, `6.0`)."""
    if isinstance(value, (int, type(None))) and not isinstance(value, bool):
        return repr(value)
    if isinstance(value, (bool, float)):
        return repr(value)
    return f"{value!r} (a {type(value).__name__})"
