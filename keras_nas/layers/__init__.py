"""Keras layers shared by the search spaces and their supernets: the bottom layer of keras-nas.

Every layer that an exported model can hold is registered with
`keras.saving.register_keras_serializable(package="keras_nas")`, so a saved model that holds
one loads after `import keras_nas.layers`; the layers that only supernets hold (`PathChoice`,
`ChannelMask`, `MixedOperation`) are never saved. This package imports nothing else of
keras-nas.
"""

from keras_nas.layers.elastic_kernel import ElasticKernelSize, is_elastic_kernel
from keras_nas.layers.mixed_operation import MixedOperation
from keras_nas.layers.path_choice import ChannelMask, PathChoice, optional_path, set_path
from keras_nas.layers.single_path import single_path_optimizer
from keras_nas.layers.zeros import Zeros, zeros_like

__all__ = [
    "ChannelMask",
    "ElasticKernelSize",
    "MixedOperation",
    "PathChoice",
    "Zeros",
    "is_elastic_kernel",
    "optional_path",
    "set_path",
    "single_path_optimizer",
    "zeros_like",
]
