"""Tuners: KerasTuner `Tuner`s whose `search` takes what `model.fit` takes."""

from keras_nas.tuners.differentiable import DifferentiableSearch
from keras_nas.tuners.nas_tuner import NASTuner
from keras_nas.tuners.one_shot import OneShotSearch
from keras_nas.tuners.progress import SearchProgress
from keras_nas.tuners.searches import EvolutionarySearch, ReinforceSearch
