"""The models `get_best_models` returns save and load as plain Keras, without warnings
(they used to warn "Skipping variable loading for optimizer 'adam', because it has 72
variables whereas the saved optimizer has 2 variables")."""

import warnings

import keras
import numpy as np

import keras_nas
from keras_nas.datasets import load_digits
from keras_nas.search_spaces import MLPSpace
from tests.one_shot_search import finished_one_shot_search


def _assert_round_trip_without_warnings(tuner, path, x):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # TensorFlow's own numpy-2 deprecation, which Python hides from users by default.
        warnings.simplefilter("ignore", DeprecationWarning)
        model = tuner.get_best_models(1)[0]
        model.save(path)
        loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert len(loaded.optimizer.variables) == len(model.optimizer.variables) > 2


def test_best_model_of_a_search_saves_and_loads_without_warnings(tmp_path):
    (x, y), (x_val, y_val) = load_digits()
    x, x_val = x.reshape(-1, 64), x_val.reshape(-1, 64)
    tuner = keras_nas.EvolutionarySearch(
        MLPSpace(input_shape=(64,), num_classes=10, max_layers=1),
        objective="val_accuracy",
        max_trials=1,
        seed=0,
        directory=str(tmp_path),
        project_name="p",
    )
    tuner.search(x, y, validation_data=(x_val, y_val), epochs=1, verbose=0)
    _assert_round_trip_without_warnings(tuner, tmp_path / "best.keras", x_val[:8])


def test_best_model_of_a_one_shot_search_saves_and_loads_without_warnings(tmp_path):
    tuner, validation = finished_one_shot_search(tmp_path)
    _assert_round_trip_without_warnings(tuner, tmp_path / "best.keras", validation[0][:8])
