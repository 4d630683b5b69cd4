"""Weight sharing: candidates that inherit trained weights (ENAS) and one-shot search."""

from keras_nas.weight_sharing.inheritance import InheritWeights
from keras_nas.weight_sharing.registry import SharedLayerRegistry, layer_key
from keras_nas.weight_sharing.sampling import PathSampler
