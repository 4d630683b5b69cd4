"""keras-nas: neural architecture search for Keras, on KerasTuner."""

from keras_nas import (
    callbacks,
    estimation,
    objectives,
    oracles,
    search_spaces,
    tuners,
    weight_sharing,
)
from keras_nas.tuners import EvolutionarySearch, NASTuner, OneShotSearch, ReinforceSearch
from keras_nas.version import __version__
