"""Shared test setup: quiet TensorFlow and a fresh Keras session per test."""

from keras_nas.quiet import quiet_tensorflow

quiet_tensorflow()  # Before keras: TensorFlow's start-up lines only at the user's level.

import keras  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _fresh_keras_session():
    # Without a garbage collection: with TensorFlow loaded, one takes about 0.25 s, which
    # over a thousand tests is minutes of the suite. Python's own collections still run.
    keras.backend.clear_session(free_memory=False)
    keras.utils.set_random_seed(0)
    yield


@pytest.fixture(autouse=True)
def _no_op_determinism_after_the_test():
    # A `deterministic=True` search turns TensorFlow's op determinism on for the process;
    # the tests after it in the same worker run as without (TensorFlow's private switch).
    yield
    from tensorflow.python.framework import config

    if config.is_op_determinism_enabled():
        config.disable_op_determinism()
