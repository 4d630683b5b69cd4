"""Hard limits on a candidate's cost: parameters, FLOPs and latency.

A candidate that breaks a limit is rejected before it is trained; `Constraints.violation`
says which limit it breaks, in words fit for a log line or a trial's status message, and
`Constraints.check` also says how much of its limits a candidate uses (`ConstraintCheck`), so
that an oracle can tell a smaller candidate from a larger one.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import keras

from keras_nas.arguments import check_number
from keras_nas.objectives.cost import count_flops, count_params

#: The limits, in the order they are checked: cheapest measurement first.
_LIMITS = ("max_params", "max_flops", "max_latency_ms")
_MEASUREMENTS = {"max_params": "params", "max_flops": "flops", "max_latency_ms": "latency_ms"}
_UNITS = {"max_params": "parameters", "max_flops": "FLOPs", "max_latency_ms": "ms"}


@dataclass(frozen=True)
class ConstraintCheck:
    """What checking one candidate against its limits found.

    Example:
    >>> check = Constraints(max_params=10_000).check(params=12_500)
    >>> check.reason, check.usage
    ('12,500 parameters, over max_params=10,000', 1.25)

    Attributes:
        reason: The first limit the candidate breaks, in words (`Constraints.violation`), or
            `None` when it is within every limit.
        usage: The largest share of a limit that the candidate takes (its value over the
            limit, the largest over the limits set): above 1 when it breaks a limit, 0 with
            no limit set. Oracles compare candidates by it (`keras_nas.oracles.shrink`).
    """

    reason: str | None
    usage: float = 0.0


class Constraints:
    """Upper limits on a model's parameters, FLOPs (multiply-adds) and latency.

    Each limit is a positive finite number, or `None` for no limit; with every limit `None`
    nothing is ever rejected. A value equal to its limit is within it. FLOPs count
    multiply-adds of one example, as `keras_nas.objectives.count_flops` does.

    Example:
    >>> constraints = Constraints(max_params=10_000, max_latency_ms=2)
    >>> constraints.violation(params=12_345, latency_ms=1.5)
    '12,345 parameters, over max_params=10,000'
    >>> constraints.violation(params=9_000, latency_ms=3.2)
    '3.2 ms, over max_latency_ms=2'
    >>> print(constraints.violation(params=9_000, latency_ms=2))
    None
    >>> Constraints.from_config(constraints.get_config())
    Constraints(max_params=10000, max_latency_ms=2)

    Args:
        max_params: The most weights, trainable and not, that a model may have.
        max_flops: The most multiply-adds of one forward pass of one example.
        max_latency_ms: The longest time, in milliseconds, that a model may take, however
            the caller measures it (see `check_model`).

    Raises:
        ValueError: If a limit is not a positive finite number or `None`.
    """

    def __init__(
        self,
        *,
        max_params: float | None = None,
        max_flops: float | None = None,
        max_latency_ms: float | None = None,
    ):
        given = {"max_params": max_params, "max_flops": max_flops, "max_latency_ms": max_latency_ms}
        for name, limit in given.items():
            check_number(name, limit, above=0, none_means="set no limit")
        self.max_params = _plain(max_params)
        self.max_flops = _plain(max_flops)
        self.max_latency_ms = _plain(max_latency_ms)

    @property
    def needs_latency(self) -> bool:
        """Whether checking a model needs its latency: `max_latency_ms` is set."""
        return self.max_latency_ms is not None

    def violation(
        self,
        params: float | None = None,
        flops: float | None = None,
        latency_ms: float | None = None,
    ) -> str | None:
        """The first limit that the measurements break, in words; `None` if none is broken.

        Limits are checked in the order `max_params`, `max_flops`, `max_latency_ms`. Counts
        are written with thousands separators and other values with up to 6 significant
        digits, e.g. `"1,234,567 FLOPs, over max_flops=1,000,000"`.

        Args:
            params: The model's number of weights; needed if `max_params` is set.
            flops: The model's multiply-adds; needed if `max_flops` is set.
            latency_ms: The model's latency in milliseconds; needed if `max_latency_ms` is
                set.

        Returns:
            The reason of the first broken limit, e.g. `"3.2 ms, over max_latency_ms=2"`, or
            `None` if every limit holds.

        Raises:
            ValueError: If a measurement that a set limit needs is `None`, or a measurement
                is not a finite number at least 0.
        """
        return self.check(params=params, flops=flops, latency_ms=latency_ms).reason

    def check(
        self,
        params: float | None = None,
        flops: float | None = None,
        latency_ms: float | None = None,
    ) -> ConstraintCheck:
        """The first limit that the measurements break and the largest share of a limit used.

        Takes what `violation` takes and raises what it raises.

        Example:
        >>> Constraints(max_params=10_000, max_flops=1e6).check(params=5_000, flops=2e6)
        ConstraintCheck(reason='2,000,000 FLOPs, over max_flops=1,000,000', usage=2.0)

        Returns:
            A `ConstraintCheck`: the reason as `violation` writes it (or `None`), and the
            usage, the largest value over its limit.
        """
        measured = {
            "params": _measurement("params", params),
            "flops": _measurement("flops", flops),
            "latency_ms": _measurement("latency_ms", latency_ms),
        }
        reason, usage = None, 0.0
        for limit_name in _LIMITS:
            value, limit = measured[_MEASUREMENTS[limit_name]], getattr(self, limit_name)
            if reason is not None and value is None:
                continue  # As `violation` always did: the first broken limit is enough.
            reason = reason or self._check(limit_name, value)
            if limit is not None:
                usage = max(usage, float(value) / limit)
        return ConstraintCheck(reason=reason, usage=usage)

    def check_model(
        self,
        model: keras.Model,
        latency_ms_fn: Callable[[keras.Model], float] | None = None,
    ) -> str | None:
        """The first limit that a built model breaks, in words; `None` if none is broken.

        Measures only what the set limits need, cheapest first, and stops at the first broken
        limit: parameters with `count_params`, then FLOPs with `count_flops` (only if
        `max_flops` is set), then the latency with `latency_ms_fn(model)` (only if
        `max_latency_ms` is set, and the model is within the other limits).

        Example:
        >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
        >>> Constraints(max_params=10).check_model(model)  # 4 * 3 weights + 3 biases
        '15 parameters, over max_params=10'
        >>> print(Constraints(max_flops=12).check_model(model))  # 4 * 3 multiply-adds
        None
        >>> Constraints(max_latency_ms=1).check_model(model, latency_ms_fn=lambda m: 1.25)
        '1.25 ms, over max_latency_ms=1'

        Args:
            model: A built Keras model; a Functional or Sequential one if `max_flops` is set.
            latency_ms_fn: A function that returns the model's latency in milliseconds;
                needed if `max_latency_ms` is set.

        Returns:
            The reason of the first broken limit, as `violation` writes it, or `None`.

        Raises:
            ValueError: If the model is not built, `max_flops` is set and the model's FLOPs
                cannot be counted, or `max_latency_ms` is set without `latency_ms_fn`, or
                `latency_ms_fn` does not return a finite number at least 0.
        """
        if self.needs_latency and not callable(latency_ms_fn):
            raise ValueError(
                f"`latency_ms_fn` is needed to check max_latency_ms={_format(self.max_latency_ms)}"
                ": pass a function that takes the model and returns its latency in "
                f"milliseconds. Received: latency_ms_fn={latency_ms_fn!r}."
            )
        measures = {
            "max_params": lambda: count_params(model),
            "max_flops": lambda: count_flops(model),
            "max_latency_ms": lambda: _latency_ms(latency_ms_fn, model),
        }
        for limit_name in _LIMITS:
            if getattr(self, limit_name) is not None:
                name = _MEASUREMENTS[limit_name]
                reason = self._check(limit_name, _measurement(name, measures[limit_name]()))
                if reason is not None:
                    return reason
        return None

    def _check(self, limit_name: str, value: float | None) -> str | None:
        """The reason if `value` breaks the limit `limit_name`; `None` if within or unset."""
        limit = getattr(self, limit_name)
        if limit is None:
            return None
        if value is None:
            name = _MEASUREMENTS[limit_name]
            raise ValueError(
                f"`{name}` is needed to check {limit_name}={_format(limit)}. Measure it "
                f"and pass it, or drop the limit. Received: {name}=None."
            )
        if value > limit:
            return f"{_format(value)} {_UNITS[limit_name]}, over {limit_name}={_format(limit)}"
        return None

    def get_config(self) -> dict[str, float | None]:
        return {name: getattr(self, name) for name in _LIMITS}

    @classmethod
    def from_config(cls, config: dict[str, float | None]) -> Constraints:
        return cls(**config)

    def __repr__(self) -> str:
        limits = ", ".join(
            f"{name}={getattr(self, name)!r}" for name in _LIMITS if getattr(self, name) is not None
        )
        return f"Constraints({limits})"


def _latency_ms(latency_ms_fn: Callable[[keras.Model], float], model: keras.Model) -> float:
    latency_ms = latency_ms_fn(model)
    if not (_is_number(latency_ms) and 0 <= latency_ms < math.inf):
        raise ValueError(
            "`latency_ms_fn` must return the model's latency in milliseconds, a finite number "
            f"at least 0. Received: {latency_ms!r} from latency_ms_fn={latency_ms_fn!r}."
        )
    return latency_ms


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _plain(value: float | None) -> int | float | None:
    """A JSON-ready Python number (numpy scalars are not JSON)."""
    if value is None:
        return None
    return int(value) if isinstance(value, numbers.Integral) else float(value)


def _measurement(name: str, value: Any) -> float | None:
    check_number(name, value, minimum=0, none_means="say it was not measured")
    return value


def _format(value: float) -> str:
    """A count with thousands separators; any other number with up to 6 significant digits."""
    if isinstance(value, numbers.Integral) or (float(value).is_integer() and value < 1e15):
        return f"{int(value):,}"
    return f"{float(value):,.6g}"
