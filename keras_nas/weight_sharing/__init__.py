"""Weight sharing: candidates that inherit trained weights from a registry (ENAS).

`SharedLayerRegistry` keeps the trained weights of every layer by its place, operation and
shapes; `InheritWeights` loads them into a new candidate before it trains. A one-shot
supernet shares its weights through the same registry (`keras_nas.tuners.one_shot`); its
layers live in `keras_nas.layers`.
"""

from keras_nas.weight_sharing.inheritance import InheritWeights, recalibrate_batch_norm
from keras_nas.weight_sharing.registry import SharedLayerRegistry, layer_key

__all__ = ["InheritWeights", "SharedLayerRegistry", "layer_key", "recalibrate_batch_norm"]
