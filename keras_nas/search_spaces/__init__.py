"""Search spaces: KerasTuner `HyperModel`s whose hyperparameters describe architectures."""

from keras_nas.search_spaces.base import SearchSpace
from keras_nas.search_spaces.compound_scaling import (
    CompoundScaling,
    round_filters,
    round_repeats,
    round_resolution,
)
from keras_nas.search_spaces.macro import MacroSpace
from keras_nas.search_spaces.mlp import MLPSpace
from keras_nas.search_spaces.mobilenet import MobileNetSpace
from keras_nas.search_spaces.nasbench201 import NASBench201Space
from keras_nas.search_spaces.nasbench201_table import load_nasbench201_table
from keras_nas.search_spaces.nasnet import NASNetCellSpace
from keras_nas.search_spaces.scaling import scaled_space
