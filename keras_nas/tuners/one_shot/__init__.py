"""One-shot search: train one supernet, then search its sub-networks with shared weights.

`OneShotSearch` (`search.py`) trains the supernet with a path sampler (`sampling.py`: the
uniform, sandwich, fair and progressive rules) through `SamplePaths`
(`supernet_training.py`), then runs an oracle over sub-networks that inherit its weights.
"""

from keras_nas.tuners.one_shot.sampling import RULES, PathSampler
from keras_nas.tuners.one_shot.search import OneShotSearch

__all__ = ["RULES", "OneShotSearch", "PathSampler"]
