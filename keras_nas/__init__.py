"""keras-nas: neural architecture search for Keras, on KerasTuner."""

from keras_nas import oracles, search_spaces
from keras_nas.version import __version__
