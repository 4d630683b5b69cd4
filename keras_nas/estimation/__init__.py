"""Cheaper performance estimation: early stopping of poor candidates (`pruning`) and zero-cost
proxies that score an untrained network from one mini-batch (`zero_cost`), and proxy tasks
that train each candidate on less data, smaller images or a smaller network (`proxy_task`).

Names are imported on first use (SPEC 1), so `keras_nas.estimation.pruning`, which the report
uses, loads no TensorFlow.
"""

import importlib

_LAZY = {
    "STOPPED_EARLY": "pruning",
    "MedianStopping": "pruning",
    "ProxyTask": "proxy_task",
    "PruningRule": "pruning",
    "SuccessiveHalving": "pruning",
    "ZERO_COST_PROXIES": "zero_cost",
    "mini_batch": "zero_cost",
    "ZeroCostFilter": "zero_cost_filter",
    "ranking_score": "zero_cost_filter",
    "stratified_subset": "proxy_task",
    "zero_cost_score": "zero_cost",
    "zero_cost_scores": "zero_cost",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f"keras_nas.estimation.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'keras_nas.estimation' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
