"""Bad data and objectives are refused when `search` is called, before any training."""

import keras
import keras_tuner
import numpy as np
import pytest
import tensorflow as tf

from keras_nas import EvolutionarySearch, OneShotSearch
from keras_nas.search_spaces import MacroSpace, MLPSpace, NASBench201Space
from keras_nas.tuners.checks import check_search_inputs
from tests.messages import assert_mentions

ACCURACY = [keras_tuner.Objective("val_accuracy", "max")]


def _mlp(**kwargs):
    return MLPSpace(input_shape=(64,), num_classes=10, **kwargs)


def _data(n=8, shape=(64,), classes=10):
    return np.zeros((n, *shape), "float32"), np.arange(n) % classes


def _error(space, objectives, x, y, **kwargs):
    with pytest.raises(ValueError) as error:
        check_search_inputs(space, objectives, x, y, **kwargs)
    return str(error.value)


def test_inputs_of_another_shape():
    x, y = _data(shape=(8, 8))
    message = _error(_mlp(), ACCURACY, x, y, validation_data=(x, y))
    assert_mentions(
        message,
        "`x`",
        "(64,) (MLPSpace's `input_shape`)",
        "Received: x of shape (8, 8, 8)",
        "`x.reshape(len(x), -1)`",
        "input_shape=(8, 8)",
    )


def test_validation_inputs_of_another_shape():
    space = MacroSpace(input_shape=(8, 8, 1), num_classes=10)
    x, y = _data(shape=(8, 8, 1))
    x_val, y_val = _data(shape=(8, 8))
    message = _error(space, ACCURACY, x, y, validation_data=(x_val, y_val))
    assert_mentions(
        message, "`x_val`", "Received: x_val of shape (8, 8, 8)", "`x.reshape(-1, 8, 8, 1)`"
    )


def test_a_dataset_is_checked_by_its_element_spec():
    x, y = _data(shape=(32,))
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(4)
    message = _error(_mlp(), ACCURACY, dataset, None, validation_data=dataset)
    assert "Received: x of shape (None, 32)" in message
    right = tf.data.Dataset.from_tensor_slices(_data()).batch(4)
    check_search_inputs(_mlp(), ACCURACY, right, None, validation_data=right)


def test_one_label_per_example():
    x, y = _data()
    message = _error(_mlp(), ACCURACY, x, y[:5], validation_data=(x, y))
    assert_mentions(message, "one label per example", "x with 8 examples", "y with 5")


def test_one_hot_labels_with_the_sparse_loss():
    x, y = _data()
    message = _error(_mlp(), ACCURACY, x, np.eye(10)[y], validation_data=(x, y))
    assert_mentions(
        message,
        "`y`",
        "one-hot (shape (8, 10))",
        "sparse categorical",
        "`y.argmax(-1)`",
        "loss='categorical_crossentropy'",
    )
    # With a loss of the user's choice, the labels are the user's business.
    space = _mlp(loss="categorical_crossentropy")
    check_search_inputs(space, ACCURACY, x, np.eye(10)[y], validation_data=(x, np.eye(10)[y]))


def test_labels_beyond_num_classes():
    x, y = _data()
    message = _error(_mlp(), ACCURACY, x, y + 5, validation_data=(x, y))
    assert_mentions(
        message,
        "`y`",
        "from 0 to 9",
        "`num_classes` is 10",
        "Received labels from 5 to 12",
        "num_classes=13",
        "0..9",
    )


def test_labels_that_are_not_integers():
    x, y = _data()
    message = _error(_mlp(), ACCURACY, x, y + 0.5, validation_data=(x, y))
    assert_mentions(message, "`y`", "integer class indices", "from 0 to 9")


def test_an_objective_the_trials_do_not_log():
    x, y = _data()
    message = _error(
        _mlp(), [keras_tuner.Objective("val_auc", "max")], x, y, validation_data=(x, y)
    )
    available = (  # The metrics are data: their list stays exact.
        "'loss', 'accuracy', 'val_loss', 'val_accuracy', 'params', 'flops', 'size_bytes', 'seconds'"
    )
    assert_mentions(message, "'val_auc'", available, "metrics=[...]")


def test_a_validation_objective_without_validation_data():
    x, y = _data()
    assert_mentions(
        _error(_mlp(), ACCURACY, x, y),
        "'val_accuracy'",
        "validation data",
        "validation_data=(x_val, y_val)",
        "validation_split=0.2",
        "objective 'accuracy'",
    )
    check_search_inputs(_mlp(), ACCURACY, x, y, validation_split=0.2)


def test_what_is_accepted():
    x, y = _data()
    objectives = [keras_tuner.Objective(name, "min") for name in ("val_loss", "params", "flops")]
    check_search_inputs(_mlp(), objectives, x, y, validation_data=(x, y.reshape(-1, 1)))
    regression = MLPSpace(input_shape=(64,), num_classes=None)
    check_search_inputs(
        regression, [keras_tuner.Objective("val_mae", "min")], x, y * 3.7, validation_data=(x, y)
    )
    # Metric objects: their names are Keras's business.
    space = _mlp(metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc")])
    check_search_inputs(space, [keras_tuner.Objective("val_acc", "max")], x, y)
    # Hypermodels that are not keras-nas spaces are not checked.
    check_search_inputs(keras_tuner.HyperModel(), ACCURACY, x, None)


def test_search_refuses_before_the_first_trial(tmp_path):
    tuner = EvolutionarySearch(
        _mlp(), objective="val_accuracy", max_trials=2, directory=str(tmp_path)
    )
    x, y = _data(shape=(8, 8))
    with pytest.raises(ValueError, match="Received: x of shape \\(8, 8, 8\\)"):
        tuner.search(x, y, validation_data=(x, y), epochs=1)
    assert tuner.oracle.trials == {}


def test_one_shot_refuses_before_training_the_supernet(tmp_path):
    space = NASBench201Space(input_shape=(8, 8, 1), num_classes=10, cells_per_stage=1, channels=4)
    tuner = OneShotSearch(space, max_trials=2, supernet_epochs=1, directory=str(tmp_path))
    x, y = _data(shape=(8, 8, 1))
    with pytest.raises(ValueError, match="Received labels from 10 to 17"):
        tuner.search(x, y + 10, validation_data=(x, y))
    assert tuner.supernet_epochs_trained() == 0
