"""What each candidate costs (parameters, FLOPs, bytes, latency), and whether it may train.

`NASTuner` measures every candidate once, untrained, right after it is built
(`CandidateCosts.measure`): `params`, `flops` (where every layer is known), `size_bytes`, and,
when the search needs it, `latency_ms` (batch 1) and `latency_ms_b<n>` for each other batch
size, on the device that runs the trial (`keras_nas.objectives.latency_metrics`). These
become trial metrics. With `max_model_size` or `Constraints`, the oracle asks
`CandidateCosts.check` before a candidate becomes a trial: a candidate over a limit is never
trained, and the oracle proposes another, using the share of the limit that the candidate
took (`ConstraintCheck.usage`) to shrink it toward one within.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import keras

from keras_nas.objectives import (
    ConstraintCheck,
    Constraints,
    count_flops,
    latency_metrics,
    model_size_bytes,
)
from keras_nas.objectives.latency import LATENCY_METRIC, latency_metric_name

#: The cost metrics every candidate gets; latency metrics come on top when measured.
COST_METRICS = ("params", "flops", "size_bytes")


class CandidateCosts:
    """Measures candidates and checks them against `max_model_size` and `constraints`.

    Example:
    >>> import keras
    >>> costs = CandidateCosts(constraints=Constraints(max_params=10))
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    >>> cost = costs.measure(model)
    >>> cost["params"], cost["flops"], "latency_ms" in cost
    (15.0, 12.0, False)
    >>> costs.violation(cost)
    '15 parameters, over max_params=10'
    >>> costs.check(cost).usage
    1.5

    Args:
        constraints: Limits on params, FLOPs and latency, or `None`.
        max_model_size: KerasTuner's limit on the parameter count, or `None`.
        latency: Measure latency: `True`, `False`, or `None` (the default) to measure it
            only when `needed` names a latency metric or `constraints` limit latency.
        latency_batch_sizes: The batch sizes whose latency is measured (1 gives
            `latency_ms`, n gives `latency_ms_b<n>`).
        needed: The metrics the search reads (its objectives and what they are computed
            from); decides `latency=None`.

    Raises:
        ValueError: If `constraints` is not a `Constraints`, `latency` is not a bool or
            `None`, or `latency=False` while `constraints` limit latency.
    """

    def __init__(
        self,
        *,
        constraints: Constraints | None = None,
        max_model_size: int | None = None,
        latency: bool | None = None,
        latency_batch_sizes: Sequence[int] = (1,),
        needed: Iterable[str] = (),
    ):
        if constraints is not None and not isinstance(constraints, Constraints):
            raise ValueError(
                "`constraints` must be a `keras_nas.objectives.Constraints`, e.g. "
                f"Constraints(max_params=100_000). Received: constraints={constraints!r}."
            )
        if latency not in (None, True, False):
            raise ValueError(f"`latency` must be True, False or None. Received: {latency!r}.")
        if latency is False and constraints is not None and constraints.needs_latency:
            raise ValueError(
                "`latency=False` leaves `max_latency_ms` unchecked: no candidate's latency is "
                f"measured. Received: latency=False and constraints={constraints!r}. Pass "
                "latency=None (the default) to measure it, or drop `max_latency_ms`."
            )
        self.constraints = constraints
        self.max_model_size = max_model_size
        self.latency_batch_sizes = tuple(latency_batch_sizes)
        self.latency_names = [latency_metric_name(size) for size in self.latency_batch_sizes]
        needs_latency = any(name.startswith(LATENCY_METRIC) for name in needed) or bool(
            constraints is not None and constraints.needs_latency
        )
        self.measures_latency = needs_latency if latency is None else latency
        if self.measures_latency and constraints is not None and constraints.needs_latency:
            if LATENCY_METRIC not in self.latency_names:
                self.latency_batch_sizes = (1, *self.latency_batch_sizes)
                self.latency_names.insert(0, LATENCY_METRIC)

    @property
    def checks(self) -> bool:
        """Whether candidates are checked before they become trials."""
        return bool(self.max_model_size) or self.constraints is not None

    def metric_names(self) -> list[str]:
        """The names of the cost metrics that trials get."""
        return [*COST_METRICS, *(self.latency_names if self.measures_latency else [])]

    def measure(self, model: keras.Model) -> dict[str, float]:
        """The cost metrics of a built model (see the module's documentation)."""
        cost = {
            "params": float(model.count_params()),
            "size_bytes": float(model_size_bytes(model)),
        }
        try:
            cost["flops"] = float(count_flops(model))
        except ValueError:  # A model whose cost cannot be counted still trains.
            pass
        if self.measures_latency:
            cost.update(latency_metrics(model, self.latency_batch_sizes))
        return {name: cost[name] for name in sorted(cost, key=_metric_order)}

    def violation(self, cost: dict[str, float]) -> str | None:
        """Why a candidate with `cost` may not train, or `None` if it may."""
        return self.check(cost).reason

    def check(self, cost: dict[str, float]) -> ConstraintCheck:
        """Why a candidate with `cost` may not train (`max_model_size` first, then
        `constraints`), and the largest share of a limit it takes (see `ConstraintCheck`).

        Raises:
            ValueError: If `max_flops` is set and `cost` has no `flops`: `measure` leaves
                them out of a model that `count_flops` cannot count.
        """
        params = cost["params"]
        reason, usage = None, 0.0
        if self.max_model_size:
            usage = params / self.max_model_size
            if params > self.max_model_size:
                reason = f"{int(params)} parameters, over max_model_size={self.max_model_size}"
        if reason is not None or self.constraints is None:
            return ConstraintCheck(reason=reason, usage=usage)
        if self.constraints.max_flops is not None and "flops" not in cost:
            raise ValueError(
                f"max_flops={self.constraints.max_flops!r} cannot be checked: the candidate's "
                "FLOPs cannot be counted (`keras_nas.objectives.count_flops` counts built "
                "Functional and Sequential models whose inputs have a fixed size)."
            )
        checked = self.constraints.check(
            params=params,
            flops=cost.get("flops") if self.constraints.max_flops is not None else None,
            latency_ms=cost.get(LATENCY_METRIC) if self.constraints.needs_latency else None,
        )
        return ConstraintCheck(reason=checked.reason, usage=max(usage, checked.usage))


def derived_objectives(objectives: Iterable[Any]) -> list[Any]:
    """The objectives that a tuner computes from other metrics (with `inputs`, `compute`)."""
    return [one for one in objectives if callable(getattr(one, "compute", None))]


def needed_metrics(objectives: Iterable[Any]) -> list[str]:
    """The metric names that `objectives` read: their names, and their inputs if derived."""
    names = []
    for one in objectives:
        names.extend(getattr(one, "inputs", None) or [one.name])
    return names


def _metric_order(name: str) -> tuple[int, str]:
    order = [*COST_METRICS, LATENCY_METRIC]
    return (order.index(name) if name in order else len(order), name)
