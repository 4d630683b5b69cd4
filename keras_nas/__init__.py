"""keras-nas: neural architecture search for Keras, on KerasTuner."""

from keras_nas import search_spaces
from keras_nas.version import __version__
