"""The cost term of hardware-aware gradient search (FBNet, ProxylessNAS).

Every operation of a relaxed choice is a small Keras model (a branch of a `MixedOperation`),
so keras-nas's cost models price it: its multiply-adds (`count_flops`), its parameters
(`count_params`) or its measured latency on this machine at batch 1 (`measure_latency_ms`, a
lookup table as FBNet measures one per operation). A choice shared by several layers (all
NAS-Bench-201 cells share one per edge) costs the sum over its layers. `expected_cost` is
then differentiable in the architecture parameters: the sum over choices of each operation's
cost weighted by its softmax weight (the expected cost of a sampled architecture, as in
ProxylessNAS), relative to the same sum with every operation of a choice weighted equally.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np

from keras_nas.layers import MixedOperation
from keras_nas.objectives import count_flops, count_params, measure_latency_ms

#: How `operation_costs` prices an operation.
COSTS: dict[str, Callable[[keras.Model], float]] = {
    "flops": count_flops,
    "params": count_params,
    "latency_ms": lambda branch: measure_latency_ms(branch, repeats=10, max_seconds=0.2),
}


def operation_costs(network: keras.Model, cost: str) -> dict[str, np.ndarray]:
    """`{hp_name: costs}`: the cost of each operation of every relaxed choice of `network`,
    in its values' order, summed over the layers that share the choice, and scaled so that
    the choices' mean costs add up to 1.

    Example:
    >>> from keras_nas.search_spaces import NASBench201Space
    >>> space = NASBench201Space(input_shape=(8, 8, 1), num_classes=10, cells_per_stage=1,
    ...                          channels=4, operations=("skip_connect", "nor_conv_3x3"))
    >>> network, choices = space.build_relaxed_supernet()
    >>> costs = operation_costs(network, "params")
    >>> [float(c) for c in costs["cell/edge_1/op"]]  # Six edges; a skip has no parameters.
    [0.0, 0.3333333333333333]

    Raises:
        ValueError: If `cost` is not one of `COSTS`.
    """
    if cost not in COSTS:
        raise ValueError(f"`cost` must be one of {list(COSTS)}. Received: cost={cost!r}.")
    price = COSTS[cost]
    totals: dict[str, np.ndarray] = {}
    for layer in _mixed_operations(network):
        costs = np.array([float(price(branch)) for branch in layer.branches])
        totals[layer.hp_name] = totals.get(layer.hp_name, 0.0) + costs
    scale = sum(float(np.mean(costs)) for costs in totals.values())
    return {name: costs / scale if scale > 0 else costs for name, costs in totals.items()}


def expected_cost(weights: Sequence[Any], costs: Sequence[Any]) -> Any:
    """The sum over choices of `dot(weights, costs)`: differentiable in the weights.

    Example:
    >>> float(expected_cost([np.array([0.5, 0.5])], [np.array([0.0, 2.0])]))
    1.0
    """
    return keras.ops.sum(
        keras.ops.stack([keras.ops.sum(w * c) for w, c in zip(weights, costs, strict=True)])
    )


def _mixed_operations(network: keras.Model) -> list[MixedOperation]:
    found, stack = [], list(network.layers)
    while stack:
        layer = stack.pop(0)
        if isinstance(layer, MixedOperation):
            found.append(layer)
        elif isinstance(layer, keras.Model):
            stack.extend(layer.layers)
    return found
