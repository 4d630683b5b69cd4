"""What a trial leaves behind in TensorFlow that `keras.backend.clear_session()` does not free.

Each graph-mode call of a `tf.custom_gradient` function registers a gradient function under a
new name (`CustomGradient-<n>`) in TensorFlow's global gradient registry and never removes
it; the function's closure holds the traced graph. Keras's TensorFlow optimizer makes one
such call per traced training step (it sums gradients through `ReplicaContext.all_reduce`),
so every trial leaves its training graphs behind: about 15 MB a trial for small models on
digits, 2.7 GB over 200 trials (tensorflow/tensorflow#97697; `benchmarks/memory.py`).
A trial's training step is traced anew in each trial, so what a trial registered is not
needed once it has ended, and `forget_custom_gradients` drops it.

The registry is private to TensorFlow (2.21); this module is the one place keras-nas reaches
it, and it does nothing where the registry is absent or another backend runs.
"""

from __future__ import annotations

import keras

_PREFIX = "CustomGradient-"


def custom_gradient_names() -> set[str]:
    """The names of the gradient functions that `tf.custom_gradient` has registered so far.

    Example:
    >>> before = custom_gradient_names()
    >>> import tensorflow as tf
    >>> @tf.custom_gradient
    ... def double(x):
    ...     return 2 * x, lambda upstream: 2 * upstream
    >>> _ = tf.function(double).get_concrete_function(tf.TensorSpec([], tf.float32))
    >>> len(custom_gradient_names() - before)
    1
    >>> forget_custom_gradients(keep=before)
    >>> custom_gradient_names() == before
    True
    """
    return {name for name in _registry() if name.startswith(_PREFIX)}


def forget_custom_gradients(keep: set[str]) -> None:
    """Drops the gradient functions that `tf.custom_gradient` registered, except `keep`."""
    registry = _registry()
    for name in [name for name in registry if name.startswith(_PREFIX) and name not in keep]:
        del registry[name]


def _registry() -> dict:
    if keras.backend.backend() != "tensorflow":
        return {}
    from tensorflow.python.framework import ops

    return getattr(getattr(ops, "_gradient_registry", None), "_registry", None) or {}
