"""Shared test setup: quiet TensorFlow and a fresh Keras session per test."""

from keras_nas.quiet import quiet_tensorflow

quiet_tensorflow()  # Before keras: TensorFlow's start-up lines only at the user's level.

import keras  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _fresh_keras_session():
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    yield
