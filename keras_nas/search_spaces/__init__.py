"""Search spaces: KerasTuner `HyperModel`s whose hyperparameters describe architectures."""

from keras_nas.search_spaces.base import SearchSpace
from keras_nas.search_spaces.mlp import MLPSpace
