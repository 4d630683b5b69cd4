"""Gradient-based search: DARTS and GDAS on a space's relaxed supernet.

`DifferentiableSearch` (`search.py`) trains a `RelaxedSupernet` (`relaxed_supernet.py`: the
architecture parameters and the alternating training step) under per-epoch schedules
(`schedules.py`), then records the architecture it derives as a KerasTuner trial.
"""

from keras_nas.tuners.differentiable.relaxed_supernet import METHODS, RelaxedSupernet
from keras_nas.tuners.differentiable.search import DifferentiableSearch

__all__ = ["METHODS", "DifferentiableSearch", "RelaxedSupernet"]
