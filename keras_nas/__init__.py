"""keras-nas: neural architecture search for Keras, on KerasTuner.

The names below are imported the first time they are used (SciPy's SPEC 1), so that
`import keras_nas` and the modules that only read files (`keras_nas.report`, `keras-nas
--help`) load no TensorFlow.
"""

import importlib

from keras_nas.version import __version__

_SUBMODULES = (
    "callbacks",
    "estimation",
    "objectives",
    "oracles",
    "search_spaces",
    "tuners",
    "weight_sharing",
)
_TUNERS = (
    "DifferentiableSearch",
    "EvolutionarySearch",
    "NASTuner",
    "OneShotSearch",
    "ReinforceSearch",
)

__all__ = [*_SUBMODULES, *_TUNERS, "__version__"]


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f"keras_nas.{name}")
    if name in _TUNERS:
        return getattr(importlib.import_module("keras_nas.tuners"), name)
    raise AttributeError(f"module 'keras_nas' has no attribute {name!r}")


def __dir__() -> list[str]:
    return list(__all__)
