"""Objectives beyond accuracy: a Keras model's cost (parameters, FLOPs, bytes), limits on it,
latency, MnasNet's reward, and Pareto tools for several objectives (NSGA-II, the hypervolume).

Names are imported on first use (SPEC 1), so `keras_nas.objectives.pareto`, which the report
uses, loads no TensorFlow.
"""

import importlib

_LAZY = {
    "ConstraintCheck": "constraints",
    "Constraints": "constraints",
    "count_flops": "cost",
    "count_params": "cost",
    "model_size_bytes": "cost",
    "latency_metric_name": "latency",
    "latency_metrics": "latency",
    "measure_latency_ms": "latency",
    "Objective": "objective",
    "crowding_distance": "pareto",
    "hypervolume": "pareto",
    "non_dominated_sort": "pareto",
    "nsga2_rank": "pareto",
    "nsga2_select": "pareto",
    "pareto_front": "pareto",
    "MnasNetReward": "reward",
    "mnasnet_reward": "reward",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f"keras_nas.objectives.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'keras_nas.objectives' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
