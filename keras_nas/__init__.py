"""keras-nas: neural architecture search for Keras, on KerasTuner."""

from keras_nas import oracles, search_spaces, tuners, weight_sharing
from keras_nas.tuners import EvolutionarySearch, NASTuner, OneShotSearch, ReinforceSearch
from keras_nas.version import __version__
