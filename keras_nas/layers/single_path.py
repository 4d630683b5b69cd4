"""An optimizer for single-path supernets: it leaves the branches a step did not run alone."""

from __future__ import annotations

import keras


class _SkipsUntakenPaths:
    """Optimizer mixin: a variable whose gradient is all zeros is left alone, optimizer
    state included (see `single_path_optimizer`)."""

    def update_step(self, gradient, variable, learning_rate):
        keras.ops.cond(
            keras.ops.any(keras.ops.not_equal(gradient, 0)),
            lambda: super(_SkipsUntakenPaths, self).update_step(gradient, variable, learning_rate),
            lambda: None,
        )


def single_path_optimizer(optimizer: keras.optimizers.Optimizer) -> keras.optimizers.Optimizer:
    """The same optimizer, made to leave the branches a training step did not run alone.

    In a single-path supernet, the branches that a step does not run get zero gradients,
    and Keras optimizers still apply their momentum to them: with Adam, a branch keeps
    moving for about ten steps after its last use, along a direction that no longer comes
    from its loss. (PyTorch optimizers skip parameters without a gradient, which is what
    single-path one-shot NAS assumes.) The returned optimizer, of a subclass of the same
    class with the same configuration, skips every variable whose gradient is all zeros in
    that step, its moments included.

    Example:
    >>> optimizer = single_path_optimizer(keras.optimizers.Adam(0.01))
    >>> isinstance(optimizer, keras.optimizers.Adam), type(optimizer).__name__
    (True, 'SinglePathAdam')

    Args:
        optimizer: A Keras optimizer, not yet used.

    Returns:
        A new optimizer of the same class and configuration.
    """
    cls = type(optimizer)
    if issubclass(cls, _SkipsUntakenPaths):
        return optimizer
    skipping = type(f"SinglePath{cls.__name__}", (_SkipsUntakenPaths, cls), {})
    return skipping.from_config(optimizer.get_config())
