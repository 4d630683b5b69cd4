"""Deterministic searches: every random draw of a trial seeded from the search's seed.

With `deterministic=True`, a search turns on TensorFlow's op determinism
(`tf.config.experimental.enable_op_determinism`, for the whole process) and seeds Python's,
numpy's and Keras's random generators (`keras.utils.set_random_seed`) from the search's seed
at three points of each trial: before the oracle proposes it (`proposal_seed`: the
candidates a zero-cost filter or a constraint builds), before its model is built
(`trial_seed(..., stage="build")`: the initial weights) and before it trains
(`stage="fit"`: the order of the training data, dropout), so that what happens between
(measuring the model's costs) draws nothing that training depends on. The oracle's own
choices come from its seeded generator. Two runs with the same seed on the same machine
then give the same trials in the same order with the same scores, bit for bit on CPU; on
GPU, only as far as TensorFlow's deterministic kernels go (an op without one raises an
error). A parallel search (chief and workers) refuses `deterministic=True`: its order of
trials depends on which worker asks first.

The searches that train one supernet seed it the same way before it is built and trained
(`supernet_seed`); their own `seed` (the search's, when not given) seeds the paths sampled,
the data order, the architecture parameters and the calibration batches. A supernet search
stopped and resumed between epochs restarts its optimizer and generators, so it reproduces
another resumed at the same epoch, not an uninterrupted one.
"""

from __future__ import annotations

import zlib

import numpy as np


def trial_seed(seed: int, trial_id: str, execution: int = 0, stage: str = "build") -> int:
    """The seed of a trial's model (`stage="build"`) or training (`"fit"`): a function of
    the search's seed, the trial's id, the execution and the stage, independent of what ran
    before it.

    Example:
    >>> trial_seed(0, "3") == trial_seed(0, "3")
    True
    >>> len({trial_seed(0, "3"), trial_seed(1, "3"), trial_seed(0, "4"), trial_seed(0, "3", 1),
    ...      trial_seed(0, "3", stage="fit")})
    5
    """
    return _derive(seed, f"trial {stage}", trial_id, execution)


def supernet_seed(seed: int, epochs_done: int) -> int:
    """The seed in force when a supernet search (`OneShotSearch`, `DifferentiableSearch`)
    builds its supernet and trains it from epoch `epochs_done`: the initial weights, the
    order of the data and dropout.

    Example:
    >>> supernet_seed(0, 0) == supernet_seed(0, 0) != supernet_seed(0, 1)
    True
    """
    return _derive(seed, "supernet", "", epochs_done)


def proposal_seed(seed: int, trials_so_far: int) -> int:
    """The seed in force while the oracle proposes the search's next trial."""
    return _derive(seed, "proposal", str(trials_so_far), 0)


def _derive(seed: int, purpose: str, name: str, index: int) -> int:
    words = [int(seed) % 2**32, zlib.crc32(purpose.encode()), zlib.crc32(name.encode()), index]
    return int(np.random.SeedSequence(words).generate_state(1)[0] % 2**31)


def seed_everything(seed: int) -> None:
    """Seeds Python's, numpy's and Keras's (TensorFlow's) random generators."""
    import keras

    keras.utils.set_random_seed(seed)


def enable_op_determinism() -> None:
    """Makes TensorFlow's ops deterministic, for the whole process (an op without a
    deterministic kernel then raises an error instead of running)."""
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()
